/**
 * The evaluation queue on a NATS JetStream server (docs/workers.md says why NATS): a work-queue
 * stream of jobs that one durable pull consumer shares among every worker, a stream of results,
 * and an object store bucket for each step's token sequences. Both sides declare the same
 * streams, so either may start first. The URL carries the server and, if any, its credentials
 * (`nats://user:password@host:4222`, `nats://token@host:4222`); a NATS creds file may be given
 * instead. Neither is ever printed: `redactQueueUrl` is the form for logs.
 */
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { type ObjectStore, Objm } from "@nats-io/obj";

/** Names on the server: one home for every subject, stream, consumer and bucket. */
export const QUEUE_NAMES = {
  jobsStream: "SN9_EVAL_JOBS",
  jobsSubject: (stepKey: string) => `sn9.eval.jobs.${stepKey}`,
  workers: "sn9-eval-workers",
  resultsStream: "SN9_EVAL_RESULTS",
  /** A job's result, by the job's key (`step.hotkey`, `step.global`, `step.uid-N`), under its step's. */
  resultSubject: (jobKey: string) => `sn9.eval.results.${jobKey}`,
  stepResults: (stepKey: string) => `sn9.eval.results.${stepKey}.>`,
  allResults: "sn9.eval.results.>",
  dataBucket: "sn9-eval-step-data",
} as const;

/** How the queue behaves; the defaults suit real evaluations, tests shorten them. */
export interface QueueTiming {
  /** A job not acknowledged nor extended within this is delivered again (default 60 s). */
  ackWaitMs: number;
  /** A job or result is deduplicated by its id within this window (default 30 min). */
  duplicateWindowMs: number;
}

export const DEFAULT_QUEUE_TIMING: QueueTiming = { ackWaitMs: 60_000, duplicateWindowMs: 30 * 60_000 };

/** What to connect to. */
export interface QueueOptions {
  /** `nats://[user:password@ | token@]host:port`, several comma-separated for a cluster. */
  url: string;
  /** A NATS `.creds` file (user JWT and nkey seed). */
  credsFile?: string;
  /** The client's name on the server (its monitoring shows it). */
  name?: string;
  /**
   * The coordinator's timing, which it sets on the server. A worker gives none: it creates the
   * streams with the defaults if they are missing and otherwise takes the timing the server has.
   */
  timing?: Partial<QueueTiming>;
  log?: (line: string) => void;
}

/** An open queue. */
export interface EvalQueue {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  data: ObjectStore;
  timing: QueueTiming;
  /** The URL with any credentials masked. */
  where: string;
  /** Whether the connection is up now. */
  connected(): boolean;
  /** How many times the connection came back after going away. */
  reconnects(): number;
  close(): Promise<void>;
}

/** The queue URL with its credentials masked, for logs and errors. */
export function redactQueueUrl(url: string): string {
  return url.split(",").map((u) => u.trim().replace(/^([a-z]+:\/\/)[^@/]*@/i, "$1***@")).join(",");
}

/** The servers and credentials a queue URL names. Throws `RangeError` for anything else. */
export function parseQueueUrl(url: string): { servers: string[]; user?: string; pass?: string; token?: string } {
  const parts = url.split(",").map((u) => u.trim()).filter((u) => u !== "");
  if (parts.length === 0) throw new RangeError("the queue URL is empty");
  let user: string | undefined, pass: string | undefined, token: string | undefined;
  const servers = parts.map((part) => {
    let u: URL;
    try {
      u = new URL(part);
    } catch {
      throw new RangeError(`the queue URL must look like nats://host:4222 (got ${redactQueueUrl(part).slice(0, 80)})`);
    }
    if (!["nats:", "tls:"].includes(u.protocol) || u.hostname === "" || u.pathname.replace(/^\/$/, "") !== "") {
      throw new RangeError(`the queue URL must look like nats://host:4222 (got ${redactQueueUrl(part).slice(0, 80)})`);
    }
    if (u.username && u.password) [user, pass] = [decodeURIComponent(u.username), decodeURIComponent(u.password)];
    else if (u.username) token = decodeURIComponent(u.username);
    return `${u.hostname.replace(/^\[|\]$/g, "")}:${u.port || "4222"}`;
  });
  return { servers, user, pass, token };
}

/**
 * Connects (waiting for a server that is not up yet, and reconnecting for as long as the process
 * lives) and declares the streams, the workers' consumer and the data bucket.
 */
export async function openQueue(o: QueueOptions): Promise<EvalQueue> {
  const { servers, user, pass, token } = parseQueueUrl(o.url);
  const where = redactQueueUrl(o.url);
  const nc = await connect({
    servers,
    user,
    pass,
    token,
    authenticator: o.credsFile ? credsAuthenticator(await readCreds(o.credsFile)) : undefined,
    name: o.name,
    waitOnFirstConnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
  });
  const link = watchConnection(nc, where, o.log);
  try {
    const jsm = await jetstreamManager(nc);
    const timing = await declare(jsm, o.timing);
    const js = jetstream(nc);
    const data = await new Objm(js).create(QUEUE_NAMES.dataBucket, { ttl: nanos(2 * 24 * 3600_000) });
    return {
      nc,
      js,
      jsm,
      data,
      timing,
      where,
      connected: () => link.up,
      reconnects: () => link.reconnects,
      close: async () => {
        await nc.drain().catch(() => nc.close());
      },
    };
  } catch (e) {
    await nc.close();
    throw new Error(`the queue at ${where} has no usable JetStream (${(e as Error).message.slice(0, 160)})`, {
      cause: e,
    });
  }
}

/**
 * The streams and the workers' consumer: created when missing; brought to `wanted` when given (the
 * coordinator's); the timing in force returned.
 */
async function declare(jsm: JetStreamManager, wanted: Partial<QueueTiming> | undefined): Promise<QueueTiming> {
  const timing = { ...DEFAULT_QUEUE_TIMING, ...wanted };
  const streams = [
    {
      name: QUEUE_NAMES.jobsStream,
      subjects: [QUEUE_NAMES.jobsSubject(">")],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      duplicate_window: nanos(timing.duplicateWindowMs),
    },
    {
      name: QUEUE_NAMES.resultsStream,
      subjects: [QUEUE_NAMES.allResults],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: nanos(timing.duplicateWindowMs),
      max_age: nanos(7 * 24 * 3600_000),
    },
  ];
  for (const s of streams) {
    const known = await jsm.streams.info(s.name).catch(() => null);
    if (!known) await jsm.streams.add(s);
    else if (wanted) await jsm.streams.update(s.name, s);
  }
  const consumer = {
    durable_name: QUEUE_NAMES.workers,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(timing.ackWaitMs),
    max_deliver: -1,
    max_ack_pending: 1_000,
  };
  const known = await jsm.consumers.info(QUEUE_NAMES.jobsStream, QUEUE_NAMES.workers).catch(() => null);
  if (!known) await jsm.consumers.add(QUEUE_NAMES.jobsStream, consumer);
  else if (wanted) await jsm.consumers.update(QUEUE_NAMES.jobsStream, QUEUE_NAMES.workers, consumer);
  else if (known.config.ack_wait) timing.ackWaitMs = known.config.ack_wait / 1_000_000;
  return timing;
}

/** Milliseconds as the nanoseconds JetStream's configuration takes. */
function nanos(ms: number): number {
  return ms * 1_000_000;
}

/** Follows the connection going away and coming back (the step pauses meanwhile), and logs both. */
function watchConnection(nc: NatsConnection, where: string, log?: (line: string) => void) {
  const link = { up: true, reconnects: 0 };
  (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") {
        link.up = false;
        log?.(`queue ${where}: disconnected; waiting for it to come back`);
      } else if (s.type === "reconnect") {
        link.up = true;
        link.reconnects++;
        log?.(`queue ${where}: reconnected`);
      }
    }
  })().catch(() => {});
  return link;
}

/** A NATS creds file's bytes, or an error that names the file and not its contents. */
async function readCreds(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    throw new Error(`cannot read the queue's creds file ${path} (${(e as Error).name})`);
  }
}
