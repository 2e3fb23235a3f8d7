/**
 * `deno task worker`: serves the evaluation jobs a validator (`validate --queue`) publishes, on
 * this machine's devices, from a NATS JetStream server. It fetches each model into its own cache
 * with the validator's checks and returns the same record a local evaluation makes. It needs no
 * chain and no keys: only the queue and the model store.
 *
 * As a service: SIGTERM or SIGINT gives the job in progress back to the queue (another worker
 * takes it at once) and exits 0; a second signal exits at once.
 */
import { openQueue, serveJobs } from "../src/mod.ts";
import {
  defineCommand,
  evalLanes,
  flags,
  laneFlags,
  main,
  openStoreFromFlags,
  queueFlags,
  stopOnSignals,
  storeFlags,
  UsageError,
} from "./cli/mod.ts";

/** The worker command. */
const QUEUE = "needs a NATS server on port 4222 (tests/workers starts one)";

export const command = defineCommand({
  name: "worker",
  summary: "Evaluates models for a validator: takes jobs from its NATS JetStream queue and returns their losses.",
  flags: {
    ...queueFlags,
    ...laneFlags,
    ...storeFlags,
    name: flags.string("how results name this worker", { defaultText: "host/pid" }),
  },
  notes: [
    "Environment: HF_TOKEN and the other Hugging Face conventions (HF_ENDPOINT, HF_HOME, HF_HUB_CACHE,",
    "HF_HUB_OFFLINE). Queue credentials go in the URL (nats://user:password@host:4222) or --queue-creds.",
    "Run the same version as the validator: a job of another wire version is left for another worker.",
  ],
  examples: [
    { line: "deno task worker --queue nats://127.0.0.1:4222", checkOnly: QUEUE },
    {
      line:
        "deno task worker --queue nats://validator.example:4222 --queue-creds worker.creds --device cuda:0 --device cuda:1",
      checkOnly: "needs a validator's NATS server, its credentials and two GPUs",
    },
    {
      line:
        "deno task worker --queue nats://127.0.0.1:4222 --model-store local --store-dir .cache/local-store   # the embedded network's models",
      checkOnly: QUEUE,
    },
  ],
  check({ flags: f }) {
    if (f.queue === undefined) {
      throw new UsageError("--queue is required: the validator's NATS server, nats://host:4222");
    }
  },
  async run({ flags: f }) {
    const lanes = evalLanes(f.device, f.workers) ?? f.device;
    const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
    const stop = stopOnSignals(log);
    const { store, modelCacheDir, where } = await openStoreFromFlags(f, log);
    const queue = await openQueue({ url: f.queue!, credsFile: f["queue-creds"], name: f.name ?? "sn9 worker", log });
    try {
      log(
        `worker on ${queue.where}: ${lanes.length} lane${
          lanes.length === 1 ? "" : "s"
        }, models from ${where} into ${modelCacheDir}`,
      );
      await serveJobs({ queue, lanes, store, cacheDir: modelCacheDir, name: f.name, log, signal: stop.signal });
    } finally {
      await queue.close();
    }
    log("stopped");
    return 0;
  },
});

if (import.meta.main) await main(command);
