/**
 * `deno task validate`: the validator loop on the network the flags name. With no flags it runs on
 * the embedded network (a subnet and a staked //Alice are created on first use). A failing step is
 * logged and the loop goes on; the weights duty runs every turn whatever the step did.
 *
 * As a service: SIGTERM or SIGINT abandons the model being evaluated (the step resumes on restart
 * with nothing lost or counted twice), finishes the W&B run and exits 0 within seconds; a second
 * signal exits at once (130 or 143). `--once` exits 1 when its turn failed. `--health <port>`
 * serves liveness and the last turn as JSON.
 */
import {
  DEFAULT_QUEUE_TIMING,
  type EvalQueue,
  FanOutTelemetry,
  Health,
  JsonlRunLog,
  leaderboardApp,
  openQueue,
  queueEvaluator,
  queueWindowMeasurer,
  redactQueueUrl,
  runIteration,
  scheduleHash,
  SN9_BUDGET,
  type Telemetry,
  ValidatorState,
  VERSION,
  WandbTelemetry,
} from "../src/mod.ts";
import type { StepSummary } from "../src/mod.ts";
import {
  defineCommand,
  evalLanes,
  flags,
  laneFlags,
  main,
  networkFlags,
  openNetworkFromFlags,
  progress,
  queueFlags,
  rateLine,
  stopOnSignals,
} from "./cli/mod.ts";

/** The validate command (exported so its flags can be checked against the service examples in docs/). */
export const command = defineCommand({
  name: "validate",
  summary:
    "Runs the validator: syncs commitments, evaluates models on seeded pages, scores them, and sets weights on chain.",
  flags: {
    ...networkFlags,
    ...laneFlags,
    ...queueFlags,
    once: flags.boolean("run one step and exit"),
    interval: flags.seconds("pause between steps", { default: 60 }),
    state: flags.path("the validator's SQLite state", { default: ".cache/validator.sqlite" }),
    "run-log": flags.path("the local run log (JSON lines)", { default: ".cache/validator-run.jsonl" }),
    "dont-set-weights": flags.boolean("evaluate and log, never touch the chain's weights"),
    "publish-checkpoints": flags.namespace(
      "commit each pseudo-gradient window's next checkpoint to <namespace>/<competition>-global for miners and workers",
    ),
    "wandb.off": flags.boolean("no W&B run even with WANDB_API_KEY set"),
    serve: flags.port("also serve the leaderboard on this port"),
    health: flags.port("serve liveness and the last turn as JSON on this port (GET /health)"),
    "wandb.steps-per-run": flags.int("W&B rows per run before a new run starts", { default: 100, min: 1 }),
    "model-cache-gb": flags.int("cap on the models this validator downloaded itself", { default: 100, min: 1 }),
    "sample-min": flags.int("models a competition keeps for its next step (SN9 sample_min)", {
      default: SN9_BUDGET.sampleMin,
      min: 1,
    }),
    "updated-models-limit": flags.int("models kept or waiting for a step, over every competition", {
      default: SN9_BUDGET.updatedModelsLimit,
      min: 1,
    }),
    "model-time-limit": flags.seconds("one model's evaluation; past it the model scores as failed", {
      default: SN9_BUDGET.modelTimeLimitMs / 1000,
    }),
  },
  notes: [
    "Environment: SN9_HOTKEY_URI (a mnemonic or //dev key instead of the wallet files), HF_TOKEN and the other",
    "Hugging Face conventions (HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE), SN9_DATASETS_SERVER,",
    "WANDB_API_KEY / WANDB_PROJECT / WANDB_ENTITY.",
  ],
  examples: [
    "deno task validate --once",
    {
      line:
        "deno task validate --network finney --netuid 9 --wallet.name validator --wallet.hotkey default --device cuda --serve 8000",
      checkOnly: "needs the real network, a registered wallet and a GPU",
    },
    {
      line: "deno task validate --subtensor.network ws://127.0.0.1:9944 --netuid 1 --dont-set-weights",
      checkOnly: "needs a subtensor node on port 9944 (tests/chain runs the real runtime under chopsticks)",
    },
    { line: "deno task validate --health 9100   # curl http://127.0.0.1:9100/health", serves: true },
    {
      line: "deno task validate --device cuda:0 --device cuda:1 --network finney --netuid 9",
      checkOnly: "needs the real network and two GPUs",
    },
    "deno task validate --once --workers 2",
    "deno task validate --once --publish-checkpoints my-validator",
    {
      line: "deno task validate --queue nats://127.0.0.1:4222   # with deno task worker --queue nats://127.0.0.1:4222",
      checkOnly: "needs a NATS server on port 4222 (tests/workers starts one)",
    },
  ],
  async run({ flags: f }) {
    const lanes = evalLanes(f.device, f.workers);
    const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
    // Signals first, so a stop asked for during start-up is honoured too.
    const stop = stopOnSignals(log);
    const network = await openNetworkFromFlags(f, log);
    let state: ValidatorState | undefined;
    let telemetry: Telemetry | undefined;
    let queue: EvalQueue | undefined;
    let code = 0;
    try {
      const hotkey = await network.hotkey("validator");
      await network.prepareSubnet(hotkey, "validator");
      state = new ValidatorState(f.state);
      const runLog = new JsonlRunLog(f["run-log"]);
      const metagraph = await network.chain.metagraph(network.netuid);
      const uid = metagraph.neurons.find((n) => n.hotkey === hotkey.address)?.uid ?? null;
      // SN9's run naming: the validator's uid and the start time.
      const runName = `validator-${uid ?? "unregistered"}-${new Date().toISOString().slice(0, 19).replace("T", "_")}`;
      telemetry = !f["wandb.off"] && Deno.env.get("WANDB_API_KEY")
        ? new FanOutTelemetry([
          new WandbTelemetry({
            project: Deno.env.get("WANDB_PROJECT") ?? "sn9-validator",
            entity: Deno.env.get("WANDB_ENTITY"),
            name: runName,
            stepsPerRun: f["wandb.steps-per-run"],
            config: {
              uid,
              hotkey: hotkey.address,
              run_name: runName,
              version: VERSION,
              type: "validator",
              netuid: network.netuid,
              network: f.network,
              schedule: scheduleHash(network.schedule),
            },
          }, log),
          runLog,
        ])
        : runLog;
      log(
        telemetry === runLog
          ? `telemetry: local run log ${f["run-log"]} (set WANDB_API_KEY for W&B)`
          : `telemetry: W&B run ${runName} and ${f["run-log"]}`,
      );
      if (f.queue !== undefined) {
        log(`queue: ${redactQueueUrl(f.queue)} (its workers evaluate the models; waiting for it if it is not up)`);
        queue = await openQueue({
          url: f.queue,
          credsFile: f["queue-creds"],
          name: `validator ${hotkey.address}`,
          timing: DEFAULT_QUEUE_TIMING,
          log,
        });
      }
      const bar = progress({ intervalMs: 30_000 });
      const ctx = {
        chain: network.chain,
        store: network.store,
        datasets: network.datasets,
        schedule: network.schedule,
        netuid: network.netuid,
        hotkey,
        state,
        cacheDir: f["cache-dir"],
        modelCacheDir: network.modelCacheDir,
        modelCacheMaxBytes: f["model-cache-gb"] * 1e9,
        resolveTokenizer: network.resolveTokenizer,
        device: f.device[0].device,
        lanes,
        evaluator: queue && queueEvaluator(queue),
        windowWorkers: queue && queueWindowMeasurer(queue),
        setWeights: !f["dont-set-weights"],
        publishCheckpoints: f["publish-checkpoints"],
        telemetry,
        log,
        budget: {
          ...SN9_BUDGET,
          sampleMin: f["sample-min"],
          updatedModelsLimit: f["updated-models-limit"],
          modelTimeLimitMs: f["model-time-limit"] * 1000,
        },
        signal: stop.signal,
        onProgress: (p: { task: string; sequences: number; totalSequences: number; seconds: number; tokens: number }) =>
          bar.update(
            rateLine({
              what: `    evaluating (${p.task}): sequence`,
              done: p.sequences,
              total: p.totalSequences,
              unitsPerItem: p.tokens / Math.max(1, p.sequences),
              unit: "tokens",
              seconds: p.seconds,
            }),
          ),
      };
      const servers: Deno.HttpServer[] = [];
      if (f.serve !== undefined) {
        const board = new ValidatorState(f.state, { readOnly: true });
        servers.push(Deno.serve({
          hostname: "127.0.0.1",
          port: f.serve,
          onListen: ({ hostname, port }) => log(`leaderboard: http://${hostname}:${port}/`),
        }, leaderboardApp(board, network.schedule).fetch));
      }
      const health = new Health({
        hotkey: hotkey.address,
        netuid: network.netuid,
        network: network.name,
        staleAfterS: Math.max(3600, f.interval * 10),
      });
      stop.signal.addEventListener("abort", () => (health.stopping = true));
      if (f.health !== undefined) {
        servers.push(Deno.serve({
          hostname: "127.0.0.1",
          port: f.health,
          onListen: ({ hostname, port }) => log(`health: http://${hostname}:${port}/health`),
        }, health.app().fetch));
      }
      log(
        `validator ${hotkey.address} (uid ${
          uid ?? "none"
        }) on ${network.name}, subnet ${network.netuid}, pages from ${network.datasetsSource}, state ${f.state}`,
      );
      while (!stop.signal.aborted) {
        const turn = await runIteration(ctx);
        bar.done();
        if (turn.outcome === "stopped") break;
        health.last = {
          block: turn.summary?.block ?? null,
          outcome: turn.outcome,
          reason: turn.error?.message,
          weights: turn.weightsResult,
          atMs: Date.now(),
        };
        if (turn.summary) printStep(state, turn.summary);
        else if (turn.outcome === "failed") log(`step failed, will retry: ${turn.error!.message}`);
        if (!turn.summary && turn.weightsResult) log(`weights: ${turn.weightsResult}`);
        if (f.once) {
          if (turn.outcome === "failed") code = 1;
          break;
        }
        await stop.sleep(f.interval * 1000);
      }
      for (const server of servers) await server.shutdown();
    } finally {
      if (stop.signal.aborted) log("stopping: the W&B run is finished and the state closed");
      await telemetry?.close();
      await queue?.close();
      state?.close();
      await network.close();
    }
    if (stop.signal.aborted) log("stopped");
    return code;
  },
});

if (import.meta.main) await main(command);

/** The step's table: each model's loss, win rate, weight and why. */
function printStep(state: ValidatorState, summary: StepSummary): void {
  const stamp = new Date().toISOString().slice(11, 19);
  console.log(
    `${stamp} step ${summary.stepId} done: ${summary.results.length} models, weights ${summary.weightsResult}`,
  );
  console.log("   uid  loss      win rate  weight   status, and why");
  for (
    const e of state.evals(summary.stepId).sort((a, b) =>
      (b.weight ?? 0) - (a.weight ?? 0) || (a.loss ?? Infinity) - (b.loss ?? Infinity)
    )
  ) {
    const loss = e.loss === null ? "   —    " : e.loss.toFixed(4).padStart(8);
    console.log(
      `  ${String(e.uid).padStart(4)}  ${loss}  ${(e.winRate ?? 0).toFixed(3).padStart(8)}  ${
        (e.weight ?? 0).toFixed(4).padStart(6)
      }  ${e.status}: ${(e.reason ?? e.explanation ?? "").slice(0, 110)}`,
    );
  }
}
