/**
 * `deno task validate`: the validator loop (DESIGN §8) on the network the flags name. With no
 * flags it runs on the embedded network (a subnet and a staked //Alice are created on first use).
 * A failing step is logged and the loop goes on; Ctrl-C stops after the current step.
 */
import {
  FanOutTelemetry,
  JsonlRunLog,
  leaderboardApp,
  runStep,
  StepSkipped,
  type Telemetry,
  ValidatorState,
  WandbTelemetry,
} from "../src/mod.ts";
import { type Device, DEVICES } from "../eval/mod.ts";
import { flags, hotkeyFromFlags, main, networkFlags, openNetworkFromFlags, progress, rateLine } from "./cli/mod.ts";

await main({
  name: "validate",
  summary:
    "Runs the validator: syncs commitments, evaluates models on seeded pages, scores them, and sets weights on chain.",
  flags: {
    ...networkFlags,
    device: flags.choice("where models run", DEVICES, { default: "cpu" }),
    once: flags.boolean("run one step and exit"),
    interval: flags.seconds("pause between steps", { default: 60 }),
    state: flags.path("the validator's SQLite state", { default: ".cache/validator.sqlite" }),
    "run-log": flags.path("the local run log (JSON lines)", { default: ".cache/validator-run.jsonl" }),
    "dont-set-weights": flags.boolean("evaluate and log, never touch the chain's weights"),
    "wandb.off": flags.boolean("no W&B run even with WANDB_API_KEY set"),
    serve: flags.port("also serve the leaderboard on this port"),
    "model-cache-gb": flags.int("cap on the models this validator downloaded itself", { default: 100, min: 1 }),
    "max-new-per-step": flags.int("models evaluated for the first time per step", { default: 4, min: 1 }),
  },
  notes: [
    "Environment: SN9_HOTKEY_URI (a mnemonic or //dev key instead of the wallet files), HF_TOKEN and the other",
    "Hugging Face conventions (HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE), SN9_DATASETS_SERVER,",
    "WANDB_API_KEY / WANDB_PROJECT / WANDB_ENTITY.",
  ],
  examples: [
    "deno task validate --once",
    "deno task validate --network finney --netuid 9 --wallet.name validator --wallet.hotkey default --device cuda --serve 8000",
    "deno task validate --subtensor.network ws://127.0.0.1:9944 --netuid 1 --dont-set-weights",
  ],
  async run({ flags: f }) {
    const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
    const network = await openNetworkFromFlags(f, log);
    let state: ValidatorState | undefined;
    let telemetry: Telemetry | undefined;
    try {
      const hotkey = await hotkeyFromFlags(network, f, "validator");
      await network.prepareSubnet(hotkey, "validator");
      state = new ValidatorState(f.state);
      const runLog = new JsonlRunLog(f["run-log"]);
      telemetry = !f["wandb.off"] && Deno.env.get("WANDB_API_KEY")
        ? new FanOutTelemetry([
          new WandbTelemetry({
            project: Deno.env.get("WANDB_PROJECT") ?? "sn9-validator",
            entity: Deno.env.get("WANDB_ENTITY"),
            name: `validator-${hotkey.address.slice(0, 8)}-${Date.now()}`,
            config: { netuid: network.netuid, network: f.network, hotkey: hotkey.address },
          }, log),
          runLog,
        ])
        : runLog;
      log(
        telemetry === runLog
          ? `telemetry: local run log ${f["run-log"]} (set WANDB_API_KEY for W&B)`
          : `telemetry: W&B and ${f["run-log"]}`,
      );
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
        device: f.device as Device,
        setWeights: !f["dont-set-weights"],
        telemetry,
        log,
        maxNewPerStep: f["max-new-per-step"],
        onProgress: (p: { task: string; sequences: number; totalSequences: number; seconds: number; tokens: number }) =>
          bar.update(
            rateLine(
              `    evaluating (${p.task}): sequence`,
              p.sequences,
              p.totalSequences,
              p.tokens / Math.max(1, p.sequences),
              "tokens",
              p.seconds,
            ),
          ),
      };
      if (f.serve !== undefined) {
        const board = new ValidatorState(f.state, { readOnly: true });
        Deno.serve({
          hostname: "127.0.0.1",
          port: f.serve,
          onListen: ({ hostname, port }) => log(`leaderboard: http://${hostname}:${port}/`),
        }, leaderboardApp(board, network.schedule).fetch);
      }
      let stopping = false;
      Deno.addSignalListener("SIGINT", () => {
        if (stopping) Deno.exit(130);
        stopping = true;
        log("stopping after the current step (Ctrl-C again to quit now)");
      });
      log(
        `validator ${hotkey.address} on ${network.name}, subnet ${network.netuid}, pages from ${network.datasetsSource}, state ${f.state}`,
      );
      while (!stopping) {
        try {
          const summary = await runStep(ctx);
          bar.done();
          if (summary) {
            log(`step ${summary.stepId} done: ${summary.results.length} models, weights ${summary.weightsResult}`);
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
        } catch (e) {
          bar.done();
          if (!(e instanceof StepSkipped)) log(`step failed, will retry: ${(e as Error).message}`);
        }
        if (f.once) break;
        const until = Date.now() + f.interval * 1000;
        while (!stopping && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      await telemetry?.close();
      state?.close();
      await network.close();
    }
  },
});
