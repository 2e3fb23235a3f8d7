/**
 * `deno task miner:eval`: the validator's own scoring of a local model on the pages of the
 * current sync block, or, with a validator's state, on the pages of its latest step of the
 * competition and with the verdict against that step's models. Exit 0 when a validator would
 * score the model, 1 when it would reject it, 2 on bad flags.
 */
import { competitionAt, scheduleAt, seedFromBlockHash, seedFromHex, syncBlock, ValidatorState } from "../src/mod.ts";
import type { Device } from "../eval/mod.ts";
import { type Leader, preflight } from "../miner/mod.ts";
import {
  checkSubmissionKind,
  defineCommand,
  evalFlags,
  flags,
  main,
  modelFlag,
  networkFlags,
  openNetworkFromFlags,
  progress,
  rateLine,
  resolveModelFlag,
  UsageError,
} from "./cli/mod.ts";

export const command = defineCommand({
  name: "miner:eval",
  summary:
    "Scores a local model exactly as a validator would on the current step's pages, and says whether it would win.",
  flags: {
    ...networkFlags,
    model: modelFlag("the model"),
    adapter: flags.path("in an adapter competition: the PEFT adapter directory", { mustExist: "dir" }),
    competition: flags.int("the competition id", { default: 1, min: 0, max: 65535 }),
    state: flags.path("a validator's state, for the verdict against its leader", { mustExist: "file" }),
    ...evalFlags(4),
    json: flags.boolean("print one JSON object"),
  },
  examples: [
    "deno task miner:eval --model ./my-model",
    "deno task miner:eval --adapter ./my-lora --competition 3 --chain-db .cache/demo-run/chain.sqlite --store-dir .cache/demo-run/store --state .cache/demo-run/validator.sqlite",
    {
      line: "deno task miner:eval --model ./my-model --competition 2 --network finney --netuid 9",
      checkOnly: "needs the real network",
    },
  ],
  check({ flags: f }) {
    if (!f.model && !f.adapter) throw new UsageError("--model (or --adapter) is required");
    if (f.model && f.adapter) throw new UsageError("give --model or --adapter, not both");
  },
  async run({ flags: f }) {
    // A bad --model is a usage error before anything opens; a Hub repo is fetched into the HF cache.
    const dir = f.adapter ?? (await resolveModelFlag(f.model!, { quiet: f.json })).dir;
    const network = await openNetworkFromFlags(f);
    const bar = progress({ quiet: f.json });
    try {
      const block = await network.chain.currentBlock();
      const competition = competitionAt(network.schedule, block, f.competition);
      if (!competition) throw new RangeError(`competition ${f.competition} is not in force at block ${block}`);
      checkSubmissionKind(competition, f.adapter !== undefined);
      // Against a validator's state, score on the pages its latest step of this competition used,
      // at that step's block: the leaders' losses are comparable only on the same tokens.
      let leaders: Leader[] | undefined;
      let pages = { seed: seedFromBlockHash(await network.chain.blockHash(syncBlock(block))), block };
      if (f.state) {
        const state = new ValidatorState(f.state, { readOnly: true });
        try {
          const last = state.steps().find((s) => s.competitionId === competition.id && s.status === "done");
          if (!last) {
            console.error(
              `warning: ${f.state} has no completed step of competition ${competition.id}: no leader to compare`,
            );
          } else {
            leaders = state.evals(last.id).filter((e) => e.loss !== null).map((e) => ({
              uid: e.uid,
              loss: e.loss!,
              block: e.commitBlock,
            }));
            pages = { seed: seedFromHex(last.seed), block: last.block };
            if (last.block > block) {
              console.error(
                `warning: the state's step ${last.id} is at block ${last.block}, past this chain's block ${block}: ` +
                  "is the state from another chain? The verdict uses the state's pages and blocks",
              );
            }
            if (!f.json) {
              console.log(
                `scored on the pages of the state's step ${last.id} (block ${last.block}), as its leaders were`,
              );
            }
          }
        } finally {
          state.close();
        }
      }
      const r = await preflight({
        dir,
        competition,
        client: network.datasets,
        seed: pages.seed,
        block: pages.block,
        cacheDir: f["cache-dir"],
        resolveTokenizer: network.resolveTokenizer,
        leaders,
        base: { store: network.store, cacheDir: network.modelCacheDir },
        entryStart: scheduleAt(network.schedule, pages.block).startBlock,
        batchSize: f.batch,
        device: f.device as Device,
        onProgress: (p) =>
          bar.update(
            rateLine({
              what: `${p.task}: sequence`,
              done: p.sequences,
              total: p.totalSequences,
              unitsPerItem: p.tokens / Math.max(1, p.sequences),
              unit: "tokens",
              seconds: p.seconds,
            }),
          ),
      });
      bar.done();
      if (f.json) console.log(JSON.stringify(r));
      else {
        console.log(
          `${f.adapter ?? f.model}: ${f.adapter ? "adapter on " : ""}${r.architecture ?? "?"}, ${
            r.parameters ?? "?"
          } parameters, competition ${competition.id} (${competition.name}) at block ${block}`,
        );
        for (const [task, loss] of Object.entries(r.taskLosses)) console.log(`  ${task}: ${loss.toFixed(4)}`);
        if (r.baseLoss !== null) console.log(`base loss ${r.baseLoss.toFixed(4)}`);
        if (r.loss !== null) {
          console.log(
            `loss ${r.loss.toFixed(4)}${
              r.improvement !== null ? ` (improvement over the base ${r.improvement.toFixed(4)})` : ""
            }`,
          );
        }
        console.log(`verdict: ${r.verdict}`);
      }
      return r.passes ? 0 : 1;
    } finally {
      bar.done();
      await network.close();
    }
  },
});

if (import.meta.main) await main(command);
