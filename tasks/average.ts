/**
 * `deno task average`: the best adapters of a finished adapter-competition step merged into a full
 * model by the validator's weights (src/averager), checked to be no worse than the base on that
 * step's pages, written with a manifest, and pushed to the model store with --repo so a later
 * schedule entry can pin it as the next base. Exit 0 when merged, 1 when refused (with the reason),
 * 2 on bad flags.
 */
import { averageStep, ValidatorState } from "../src/mod.ts";
import { defineCommand, evalFlags, flags, main, networkFlags, openNetworkFromFlags, UsageError } from "./cli/mod.ts";

export const command = defineCommand({
  name: "average",
  summary:
    "Merges the best adapters of a finished adapter-competition step into a full model, weighted as the validator paid them.",
  flags: {
    ...networkFlags,
    state: flags.path("the validator's state (its steps, weights and the base's loss)", { mustExist: "file" }),
    competition: flags.int("the adapter competition's id", { min: 0, max: 65535 }),
    step: flags.int("the step to merge (default: the competition's latest finished step)", { min: 1 }),
    top: flags.int("how many of the best-paid adapters go in", { default: 3, min: 1, max: 256 }),
    out: flags.path("a new directory for the merged model"),
    repo: flags.repo("push the merge to this repo of the model store"),
    ...evalFlags(4),
    json: flags.boolean("print one JSON object"),
  },
  notes: [
    "The merged model is float32 safetensors; merge_manifest.json beside it names the base, the step, its",
    "pages, and each adapter with its weight. Pin it in a schedule as {repo, revision, hash}.",
  ],
  examples: [
    "deno task average --state .cache/demo-run/validator.sqlite --chain-db .cache/demo-run/chain.sqlite --store-dir .cache/demo-run/store --competition 3 --out ./merged",
    {
      line:
        "deno task average --state .cache/validator.sqlite --network finney --netuid 9 --competition 3 --out ./merged --repo you/next-base",
      checkOnly: "needs the real network and a validator's state from it",
    },
  ],
  check({ flags: f }) {
    if (!f.state || f.competition === undefined || !f.out) {
      throw new UsageError("--state, --competition and --out are required");
    }
  },
  async run({ flags: f }) {
    const network = await openNetworkFromFlags(f, f.json ? undefined : console.log);
    const state = new ValidatorState(f.state!, { readOnly: true });
    try {
      const r = await averageStep({
        state,
        schedule: network.schedule,
        store: network.store,
        datasets: network.datasets,
        competitionId: f.competition!,
        stepId: f.step,
        top: f.top,
        outDir: f.out!,
        cacheDir: f["cache-dir"],
        modelCacheDir: network.modelCacheDir,
        resolveTokenizer: network.resolveTokenizer,
        repo: f.repo,
        device: f.device,
        batchSize: f.batch,
        log: f.json ? undefined : (l) => console.log(`  ${l}`),
      });
      if (f.json) {
        console.log(JSON.stringify(r));
        return;
      }
      console.log(`merged ${r.adapters.length} adapters of step ${r.stepId} (block ${r.block}) into ${r.dir}`);
      console.log(`loss on the step's pages: ${r.mergedLoss.toFixed(4)} (the base's: ${r.baseLoss.toFixed(4)})`);
      console.log(`hash ${r.hash}`);
      if (r.commit) {
        console.log(`pushed to ${f.repo}@${r.commit}; pin it as the next base:`);
        console.log(`  "base": ${JSON.stringify({ repo: f.repo, revision: r.commit, hash: r.hash })}`);
      }
    } finally {
      state.close();
      await network.close();
    }
  },
});

if (import.meta.main) await main(command);
