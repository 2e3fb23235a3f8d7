/**
 * `bench --lanes N`: one validator step over N published models (random GPT-2 shapes, 4 layers
 * 256 wide) on one CPU lane with every core, then on two lanes with the cores split between them,
 * each on a fresh state and model cache so both download, check and load every model. It prints
 * the wall time of each step's evaluation phase (its pages ready, to its last result) beside the
 * sum of its models' own spans (download, checks, load and compute, each from "evaluating" to its
 * result): "overlap" is that sum over the wall time, 1.00 when nothing overlapped.
 */
import { join } from "node:path";
import { publishModel } from "../../miner/mod.ts";
import {
  BUNDLED_SCHEDULES,
  type Competition,
  competitionAt,
  cpuLanes,
  DatasetsServerClient,
  devKey,
  type EvalLane,
  JsonlRunLog,
  keyFromUri,
  loadSchedule,
  LocalChain,
  LocalModelStore,
  runStep,
  startDatasetsServer,
  ValidatorState,
} from "../../src/mod.ts";
import { BYTE_VOCAB, randomParameters, writeModelFiles } from "../../fixtures/mod.ts";

const CONFIG = {
  architectures: ["GPT2LMHeadModel"],
  model_type: "gpt2",
  vocab_size: BYTE_VOCAB,
  n_embd: 256,
  n_layer: 4,
  n_head: 4,
  n_positions: 1024,
  layer_norm_epsilon: 1e-5,
  activation_function: "gelu_new",
};

/** Runs the two steps and prints their times. */
export async function benchLanes(models: number, o: { cache: string }): Promise<void> {
  await Deno.mkdir(o.cache, { recursive: true });
  const root = await Deno.makeTempDir({ dir: o.cache, prefix: "lanes-" });
  const datasets = await startDatasetsServer();
  const chain = LocalChain.open(join(root, "chain.sqlite"), {
    clock: { kind: "manual" },
    genesisHash: `0x${"7".padStart(64, "0")}`,
  });
  try {
    const competition: Competition = {
      ...competitionAt(await loadSchedule(BUNDLED_SCHEDULES.local), 0, 1)!,
      maxParameters: 50_000_000,
      maxBytes: 500_000_000,
      evalBlockDelay: 0,
    };
    const schedule = [{ startBlock: 0, competitions: [competition] }];
    chain.createSubnet(1, { tempo: 1000, weightsRateLimit: 2 });
    const validator = await devKey("Alice");
    await chain.register(1, validator.address, validator);
    const store = new LocalModelStore(join(root, "store"));
    for (let i = 0; i < models; i++) {
      const miner = await keyFromUri(`//lanes-miner-${i}`);
      await chain.register(1, miner.address, miner);
      const dir = join(root, `m${i}`);
      await writeModelFiles(dir, { config: CONFIG, tensors: randomParameters(CONFIG, 100 + i, 0.05), dtype: "F32" });
      await publishModel({
        skipChecks: true,
        store,
        chain,
        netuid: 1,
        hotkey: miner,
        dir,
        repo: `lanes${i}/m`,
        competition,
      });
    }
    chain.advance(2);
    const cores = navigator.hardwareConcurrency;
    const runs: { name: string; lanes: EvalLane[] }[] = [
      { name: `1 lane, ${cores} threads`, lanes: [{ device: "cpu", threads: cores }] },
      { name: `2 lanes, ${cpuLanes(2).map((l) => l.threads).join("+")} threads`, lanes: cpuLanes(2) },
    ];
    console.log(
      `one step, ${models} models of ${CONFIG.n_layer} × ${CONFIG.n_embd} (random weights), on ${cores} cores`,
    );
    console.log(
      `${"run".padEnd(24)}${"models".padStart(7)}${"wall".padStart(9)}${"Σ per model".padStart(14)}${
        "overlap".padStart(10)
      }  speed vs 1 lane`,
    );
    let first: number | undefined;
    for (const [k, run] of runs.entries()) {
      const state = new ValidatorState(join(root, `state-${k}.sqlite`));
      try {
        // The evaluation phase: from the step's plan (its pages are ready) to its last result.
        let started = performance.now(), ended = started;
        // Each model's own span, from "evaluating" to its result: their sum is the work done.
        const begun = new Map<string, number>();
        let work = 0;
        const log = (line: string) => {
          const now = performance.now();
          if (/^ {2}budget:/.test(line)) started = now;
          const uid = /^ {2}uid (\d+)[ :]/.exec(line)?.[1];
          if (uid && / evaluating \(/.test(line)) begun.set(uid, now);
          if (uid && /^ {2}uid \d+: (loss|rejected|failed)/.test(line)) {
            ended = now;
            work += now - begun.get(uid)!;
          }
        };
        const summary = (await runStep({
          chain,
          store,
          datasets: new DatasetsServerClient({ baseUrl: datasets.url }),
          schedule,
          netuid: 1,
          hotkey: validator,
          state,
          cacheDir: join(root, "cache"),
          modelCacheDir: join(root, `hub-${k}`),
          device: "cpu",
          lanes: run.lanes,
          setWeights: false,
          telemetry: new JsonlRunLog(join(root, `run-${k}.jsonl`)),
          log,
        }))!;
        const wall = (ended - started) / 1000;
        const done = state.evals(summary.stepId).length;
        first ??= wall;
        console.log(
          `${run.name.padEnd(24)}${String(done).padStart(7)}${`${wall.toFixed(1)} s`.padStart(9)}${
            `${(work / 1000).toFixed(1)} s`.padStart(14)
          }${`${(work / 1000 / wall).toFixed(2)}`.padStart(10)}  ${(first / wall).toFixed(2)}×`,
        );
      } finally {
        state.close();
      }
    }
  } finally {
    await chain.close();
    await datasets.close();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}
