/**
 * The flags that say where evaluations run, shared by `validate` and `worker`: `--device` once per
 * device, or `--workers N` CPU lanes sharing the cores.
 */
import { cpuLanes, type EvalLane, parseQueueUrl } from "../../src/mod.ts";
import type { DeviceSpec } from "../../eval/mod.ts";
import { flags, UsageError } from "./flag.ts";

/** The flags. */
export const laneFlags = {
  device: flags.devices("where models run: give it once per device, each evaluates models of its own", {
    default: "cpu",
  }),
  workers: flags.int("CPU evaluation workers sharing the cores (with --device cpu)", { min: 1, max: 64 }),
};

/** The evaluation lanes the flags ask for: `--workers N` CPU lanes, or one per `--device`. */
export function evalLanes(devices: DeviceSpec[], workers: number | undefined): EvalLane[] | undefined {
  if (workers !== undefined) {
    if (devices.length > 1 || devices[0].device !== "cpu") {
      throw new UsageError("--workers splits the CPU's cores; with GPUs give --device once per GPU instead");
    }
    return cpuLanes(workers);
  }
  return devices.length > 1 ? devices : undefined;
}

const queueUrl = flags.string(
  "the NATS JetStream server that carries the evaluation jobs: nats://[user:pass@]host:4222",
  {
    placeholder: "<nats://…>",
  },
);

/** The queue flags: the server's URL (credentials in it are never printed) and a creds file. */
export const queueFlags = {
  queue: {
    ...queueUrl,
    parse(raw: string | boolean | string[] | undefined, name: string): string | undefined {
      const url = queueUrl.parse(raw, name);
      try {
        if (url !== undefined) parseQueueUrl(url);
      } catch (e) {
        throw new UsageError(`${name}: ${(e as Error).message}`);
      }
      return url;
    },
  },
  "queue-creds": flags.path("a NATS .creds file (user JWT and seed) for the queue"),
};
