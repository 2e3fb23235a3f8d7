/**
 * `deno task miner:eval --model <dir> [--competition <id>] [--network embedded|…] [--state <validator.sqlite>]
 *   [--offline]`: the competition's checks, the loss on the current step's pages, the degenerate
 * check, and the verdict against the leader of a validator's latest step (from `--state`).
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { preflight } from "../miner/mod.ts";
import {
  BUNDLED_SCHEDULES,
  competitionAt,
  DatasetsServerClient,
  DEFAULT_CHAIN_DB,
  DEFAULT_DATASETS_SERVER,
  EMBEDDED,
  loadSchedule,
  openChain,
  seedFromBlockHash,
  syncBlock,
  ValidatorState,
} from "../src/mod.ts";
import { startDatasetsServer } from "../src/mod.ts";

const { values: f } = parseArgs({
  args: Deno.args,
  options: {
    model: { type: "string" },
    competition: { type: "string", default: "1" },
    network: { type: "string", default: EMBEDDED },
    "chain-db": { type: "string", default: DEFAULT_CHAIN_DB },
    state: { type: "string" },
    offline: { type: "boolean", default: false },
    "cache-dir": { type: "string", default: ".cache" },
    json: { type: "boolean", default: false },
  },
});
if (!f.model) {
  console.error("usage: deno task miner:eval --model <dir> [--competition <id>] [--state validator.sqlite]");
  Deno.exit(2);
}
const embedded = f.network === EMBEDDED;
const chain = await openChain(f.network!, { chainDb: f["chain-db"] });
const standIn = embedded || f.offline ? await startDatasetsServer() : undefined;
try {
  const block = await chain.currentBlock();
  const competition = competitionAt(
    await loadSchedule(BUNDLED_SCHEDULES[embedded ? "local" : "finney"]),
    block,
    Number(f.competition),
  );
  if (!competition) throw new RangeError(`competition ${f.competition} is not in force at block ${block}`);
  const seed = seedFromBlockHash(await chain.blockHash(syncBlock(block)));
  let leaders;
  if (f.state) {
    const state = new ValidatorState(f.state, { readOnly: true });
    const last = state.steps().find((s) => s.competitionId === competition.id && s.status === "done");
    leaders = last
      ? state.evals(last.id).filter((e) => e.loss !== null).map((e) => ({
        uid: e.uid,
        loss: e.loss!,
        block: e.commitBlock,
      }))
      : undefined;
    state.close();
  }
  const r = await preflight({
    dir: f.model,
    competition,
    client: new DatasetsServerClient({
      baseUrl: standIn?.url ?? DEFAULT_DATASETS_SERVER,
      token: standIn ? "" : undefined,
    }),
    seed,
    block,
    cacheDir: join(f["cache-dir"]!),
    leaders,
  });
  if (f.json) console.log(JSON.stringify(r));
  else {
    console.log(
      `${f.model}: ${r.architecture}, ${r.parameters} parameters, competition ${competition.id} (${competition.name}) at block ${block}`,
    );
    for (const [task, loss] of Object.entries(r.taskLosses)) console.log(`  ${task}: ${loss.toFixed(4)}`);
    console.log(`loss ${r.loss.toFixed(4)}; sanity ${r.sanity.ok ? "ok" : r.sanity.reason}`);
    console.log(`verdict: ${r.verdict}`);
  }
} catch (e) {
  console.error(`miner:eval: ${(e as Error).message}`);
  Deno.exitCode = 1;
} finally {
  await chain.close();
  await standIn?.close();
}
