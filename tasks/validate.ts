/**
 * `deno task validate [--netuid 1] [--network embedded|finney|test|local|ws://…] [--wallet.name W]
 *   [--wallet.hotkey H] [--device cpu|cuda|webgpu] [--once] [--dont-set-weights] [--offline]
 *   [--wandb.off] [--interval 60] [--state .cache/validator.sqlite] [--schedule local|finney|file]`
 *
 * The validator loop. With no flags it runs on the embedded network: the local chain file (a
 * subnet and a staked //Alice validator are created when the chain is new), the bundled pages
 * through a loopback datasets-server, and the local model store. A failing step is logged and
 * the loop goes on; Ctrl-C stops after the current step.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import type { Device } from "../eval/mod.ts";
import {
  BUNDLED_SCHEDULES,
  type Chain,
  DatasetsServerClient,
  DEFAULT_CHAIN_DB,
  DEFAULT_DATASETS_SERVER,
  EMBEDDED,
  FanOutTelemetry,
  HfCacheStore,
  hfHubCache,
  HfModelStore,
  hfOffline,
  hfToken,
  JsonlRunLog,
  keyFromUri,
  leaderboardApp,
  loadHotkey,
  loadSchedule,
  LocalChain,
  LocalModelStore,
  type ModelStore,
  openChain,
  PageCache,
  runStep,
  ValidatorState,
  WandbTelemetry,
} from "../src/mod.ts";
import { startDatasetsServer } from "../src/mod.ts";

const { values: f } = parseArgs({
  args: Deno.args,
  options: {
    netuid: { type: "string", default: "1" },
    network: { type: "string", default: EMBEDDED },
    "chain-db": { type: "string", default: DEFAULT_CHAIN_DB },
    "wallet.name": { type: "string", default: "default" },
    "wallet.hotkey": { type: "string", default: "default" },
    device: { type: "string", default: "cpu" },
    once: { type: "boolean", default: false },
    "dont-set-weights": { type: "boolean", default: false },
    offline: { type: "boolean", default: false },
    "wandb.off": { type: "boolean", default: false },
    interval: { type: "string", default: "60" },
    state: { type: "string", default: ".cache/validator.sqlite" },
    "run-log": { type: "string", default: ".cache/validator-run.jsonl" },
    schedule: { type: "string" },
    "cache-dir": { type: "string", default: ".cache" },
    "store-dir": { type: "string", default: ".cache/local-store" },
    serve: { type: "string" }, // port for the leaderboard alongside the loop
  },
});
const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
const embedded = f.network === EMBEDDED;
const offline = f.offline || embedded;
const netuid = Number(f.netuid);

await Deno.mkdir(f["cache-dir"]!, { recursive: true });
const chain: Chain = await openChain(f.network!, { chainDb: f["chain-db"], log });
const hotkey = embedded && !Deno.env.get("SN9_HOTKEY_URI") && f["wallet.name"] === "default"
  ? await keyFromUri("//Alice")
  : await loadHotkey({ wallet: f["wallet.name"]!, hotkey: f["wallet.hotkey"]! });
if (chain instanceof LocalChain && !(await chain.hyperparameters(netuid).catch(() => null))) {
  log(`embedded chain: creating subnet ${netuid} with ${hotkey.address} as a staked validator`);
  chain.createSubnet(netuid, { tempo: 100, weightsRateLimit: 20 });
  await chain.register(netuid, hotkey.address, hotkey);
  chain.addStake(hotkey.address, 1_000_000_000_000n);
}
const schedule = await loadSchedule(
  f.schedule && !(f.schedule in BUNDLED_SCHEDULES)
    ? f.schedule
    : BUNDLED_SCHEDULES[(f.schedule ?? (embedded ? "local" : "finney")) as "local" | "finney"],
);
const standIn = offline ? await startDatasetsServer() : undefined;
const store: ModelStore = offline
  ? new LocalModelStore(f["store-dir"]!)
  : hfOffline()
  ? new HfCacheStore(hfHubCache())
  : new HfModelStore({ accessToken: await hfToken(), retry: { log } });
const state = new ValidatorState(f.state!);
const runLog = new JsonlRunLog(f["run-log"]!);
const telemetry = !f["wandb.off"] && Deno.env.get("WANDB_API_KEY")
  ? new FanOutTelemetry([
    new WandbTelemetry({
      project: Deno.env.get("WANDB_PROJECT") ?? "sn9-validator",
      entity: Deno.env.get("WANDB_ENTITY"),
      name: `validator-${hotkey.address.slice(0, 8)}-${Date.now()}`,
      config: { netuid, network: f.network, hotkey: hotkey.address },
    }),
    runLog,
  ])
  : runLog;
log(
  telemetry === runLog
    ? `telemetry: local run log ${f["run-log"]} (set WANDB_API_KEY for W&B)`
    : `telemetry: W&B and ${f["run-log"]}`,
);
const ctx = {
  chain,
  store,
  datasets: new DatasetsServerClient({
    baseUrl: standIn?.url ?? Deno.env.get("SN9_DATASETS_SERVER") ?? DEFAULT_DATASETS_SERVER,
    token: standIn ? undefined : await hfToken(),
    retry: { log },
    cache: new PageCache(join(f["cache-dir"]!, "pages", standIn ? "offline" : "live")),
  }),
  schedule,
  netuid,
  hotkey,
  state,
  cacheDir: f["cache-dir"]!,
  modelCacheDir: offline ? join(f["cache-dir"]!, "hub") : hfHubCache(),
  modelCacheMaxBytes: 100e9,
  device: f.device as Device,
  setWeights: !f["dont-set-weights"],
  telemetry,
  log,
};

if (f.serve) {
  const board = new ValidatorState(f.state!, { readOnly: true });
  Deno.serve({
    hostname: "127.0.0.1",
    port: Number(f.serve),
    onListen: ({ hostname, port }) => log(`leaderboard: http://${hostname}:${port}/`),
  }, leaderboardApp(board, schedule).fetch);
}

let stopping = false;
Deno.addSignalListener("SIGINT", () => {
  if (stopping) Deno.exit(130);
  stopping = true;
  log("stopping after the current step (Ctrl-C again to quit now)");
});
log(`validator ${hotkey.address} on ${chain.name}, subnet ${netuid}, state ${f.state}`);
while (!stopping) {
  try {
    const summary = await runStep(ctx);
    if (summary) {
      log(`step ${summary.stepId} done: ${summary.results.length} models, weights ${summary.weightsResult}`);
      console.log("   uid  loss      win rate  weight   status");
      for (
        const e of state.evals(summary.stepId).sort((a, b) =>
          (b.weight ?? 0) - (a.weight ?? 0) || (a.loss ?? Infinity) - (b.loss ?? Infinity)
        )
      ) {
        console.log(
          `  ${String(e.uid).padStart(4)}  ${e.loss === null ? "   —    " : e.loss.toFixed(4).padStart(8)}  ${
            (e.winRate ?? 0).toFixed(3).padStart(8)
          }  ${(e.weight ?? 0).toFixed(4).padStart(6)}  ${e.status}${e.reason ? `: ${e.reason.slice(0, 80)}` : ""}`,
        );
      }
    }
  } catch (e) {
    log(`step failed, will retry: ${(e as Error).message}`);
  }
  if (f.once) break;
  const until = Date.now() + Number(f.interval) * 1000;
  while (!stopping && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
}
await telemetry.close();
state.close();
await chain.close();
await standIn?.close();
Deno.exit(0);
