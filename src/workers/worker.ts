/**
 * A queue worker: each lane (a device, or its share of the CPU) pulls the next job from the
 * workers' shared consumer, fetches the model into its own cache with the same checks as the
 * validator, evaluates it with the same code (`evaluateModel`), publishes the result under the
 * job's id and only then acknowledges the job. While it works it extends the job's deadline; a
 * worker that dies leaves the job to be delivered again. A job delivered more often than its
 * `maxAttempts` is a model that ends its workers: it is recorded as failed without running it.
 * A window job (a part of a pseudo-gradient window) goes to window_worker.ts the same way. The
 * worker needs no chain and no keys.
 */
import { hostname } from "node:os";
import type { JsMsg } from "@nats-io/jetstream";
import { type CheckedModel, ENGINE_VERSION, formatReason } from "../../eval/mod.ts";
import type { TaskData } from "../data/mod.ts";
import type { WindowData } from "../pseudograd/mod.ts";
import type { ModelStore } from "../hub/mod.ts";
import { VERSION } from "../version.ts";
import { type EvalLane, type EvalSettings, evaluateModel, laneName, prepareStepBase } from "../validator/mod.ts";
import {
  BadMessage,
  encodeMessage,
  type JobMessage,
  type MeasuredRecord,
  parseQueueJob,
  type QueueJob,
  type ResultMessage,
  type WindowJobMessage,
  WIRE_VERSION,
} from "./messages.ts";
import { pause } from "./pause.ts";
import { type EvalQueue, QUEUE_NAMES } from "./queue.ts";
import { decodeStepData, StepDataMismatch } from "./step_data.ts";
import { decodeWindowData } from "./window_data_blob.ts";
import { GlobalSession, measureWindowJob } from "./window_worker.ts";

/** What a worker serves with. */
export interface WorkerOptions {
  queue: EvalQueue;
  lanes: readonly EvalLane[];
  store: ModelStore;
  /** Its own Hugging Face-layout model cache. */
  cacheDir: string;
  /** How results name it (default host/pid). */
  name?: string;
  log: (line: string) => void;
  /** Stops taking jobs; the one in progress is abandoned and given back to the queue. */
  signal: AbortSignal;
}

/** The data a worker's jobs read from the bucket: steps' token data and windows' sequences. */
interface JobData {
  steps: DataCache<TaskData[]>;
  windows: DataCache<WindowData>;
}

/** Serves jobs on every lane until `signal` aborts. */
export async function serveJobs(o: WorkerOptions): Promise<void> {
  const name = o.name ?? `${hostname()}/${Deno.pid}`;
  const data = { steps: new DataCache(o.queue, decodeStepData), windows: new DataCache(o.queue, decodeWindowData) };
  await Promise.all(o.lanes.map((lane, i) => serveLane(o, lane, o.lanes.length > 1 ? `${name}#${i + 1}` : name, data)));
}

async function serveLane(o: WorkerOptions, lane: EvalLane, name: string, data: JobData): Promise<void> {
  const global = new GlobalSession();
  try {
    await takeJobs(o, lane, name, data, global);
  } finally {
    await global.release();
  }
}

async function takeJobs(o: WorkerOptions, lane: EvalLane, name: string, data: JobData, global: GlobalSession) {
  const { queue, signal, log } = o;
  let paused = false;
  while (!signal.aborted) {
    let msg: JsMsg | null;
    try {
      const consumer = await queue.js.consumers.get(QUEUE_NAMES.jobsStream, QUEUE_NAMES.workers);
      msg = await consumer.next({ expires: 2_000 });
      if (paused) log(`${name}: the queue is back`);
      paused = false;
    } catch (e) {
      if (signal.aborted) break;
      if (!paused) log(`${name}: the queue is unavailable (${(e as Error).message.slice(0, 120)}); waiting`);
      paused = true;
      await pause(1_000, signal);
      continue;
    }
    if (msg) await serveJob(o, lane, name, data, global, msg);
  }
}

/** One delivery of a job, to its result (or back to the queue when the worker stops). */
async function serveJob(
  o: WorkerOptions,
  lane: EvalLane,
  name: string,
  data: JobData,
  global: GlobalSession,
  msg: JsMsg,
) {
  const { queue, log, signal } = o;
  let parsed: QueueJob;
  try {
    parsed = parseQueueJob(msg.data);
  } catch (e) {
    if (!(e instanceof BadMessage)) throw e;
    log(`${name}: refused a job: ${e.message}`);
    // Another version's job is for another worker; anything else can never be served.
    if (/bad version/.test(e.message)) msg.nak(30_000);
    else msg.term(e.message);
    return;
  }
  const { job } = parsed;
  const label = parsed.kind === "model"
    ? `uid ${parsed.job.model.uid} ${parsed.job.model.repo}@${parsed.job.model.revision.slice(0, 8)}`
    : `window ${parsed.job.window} of competition ${parsed.job.competitionId}, ${
      parsed.job.peer ? `uid ${parsed.job.peer.uid}` : "the global model"
    }`;
  const heartbeat = setInterval(() => msg.working(), Math.max(250, queue.timing.ackWaitMs / 4));
  try {
    let record: MeasuredRecord;
    let streamSha256 = job.streamSha256;
    const attempt = msg.info.deliveryCount;
    if (attempt > job.maxAttempts) {
      log(`${name}: ${label}: delivered ${attempt} times; recording it as failed`);
      const n = job.maxAttempts;
      record = failed(`killed: ${n} worker${n === 1 ? "" : "s"} ended while evaluating it, none with a result`);
    } else {
      const where = parsed.kind === "model" ? `step ${parsed.job.stepId}` : `key ${job.key}`;
      log(`${name}: ${label}: evaluating (${where}, attempt ${attempt} of ${job.maxAttempts})`);
      if (parsed.kind === "model") {
        const outcome = await evaluate(o, lane, name, parsed.job, data.steps);
        record = outcome.record;
        streamSha256 = outcome.streamSha256;
      } else record = await measureWindow(o, lane, parsed.job, data.windows, global);
      log(
        `${name}: ${label}: ${
          record.status === "ok" ? `loss ${record.loss!.toFixed(4)}` : `${record.status}: ${record.reason}`
        }`,
      );
    }
    const result: ResultMessage = {
      v: WIRE_VERSION,
      key: job.key,
      id: job.id,
      streamSha256,
      record,
      worker: { name, device: laneName(lane), engine: ENGINE_VERSION, version: VERSION },
    };
    await untilSent(
      o,
      name,
      () =>
        queue.js.publish(
          QUEUE_NAMES.resultSubject(job.key),
          encodeMessage(result),
          {
            msgID: job.id,
          },
        ),
    );
    await msg.ackAck().catch(() => false); // unacknowledged, the job comes back and its result is a duplicate
  } catch (e) {
    if (!signal.aborted) throw e;
    log(`${name}: ${label}: stopped; the job goes back to the queue`);
    msg.nak();
  } finally {
    clearInterval(heartbeat);
  }
}

/** The evaluation itself; a fault of the model, its data or its base is a result. */
async function evaluate(
  o: WorkerOptions,
  lane: EvalLane,
  name: string,
  job: JobMessage,
  data: DataCache<TaskData[]>,
): Promise<{ record: MeasuredRecord; streamSha256: string }> {
  const { streamSha256, competition } = job;
  let tasks: TaskData[];
  try {
    tasks = await data.get(streamSha256);
  } catch (e) {
    o.signal.throwIfAborted();
    if (!(e instanceof StepDataMismatch)) throw e;
    return { record: failed(`queue: ${e.message}`), streamSha256 };
  }
  const label = `${name}: uid ${job.model.uid}`;
  let lastLine = -Infinity;
  const settings: EvalSettings = {
    store: o.store,
    cacheDir: o.cacheDir,
    log: o.log,
    // The first batch, then a line at most every 30 s: the operator sees the worker is alive.
    onProgress: (p) => {
      if (performance.now() - lastLine < 30_000) return;
      lastLine = performance.now();
      o.log(`${label}: computing (${p.task}): sequence ${p.sequences} of ${p.totalSequences}`);
    },
    ...lane,
    batchSize: job.batchSize,
    timeCapMs: job.timeLimitMs,
    eosTokenId: job.eosTokenId,
    signal: o.signal,
  };
  let stepBase: CheckedModel | undefined;
  if (competition.kind === "adapter") {
    if (!job.baseline) return { record: failed("queue: an adapter job without its step's base result"), streamSha256 };
    try {
      stepBase = (await prepareStepBase({ competition, tasks }, settings, job.baseline)).model;
    } catch (e) {
      o.signal.throwIfAborted();
      return { record: failed(`the base: ${(e as Error).message}`), streamSha256 };
    }
  }
  const r = await evaluateModel({
    model: { ...job.model, competitionId: competition.id, status: "pending", reason: null, updatedBlock: 0 },
    competition,
    tasks,
    stepId: job.stepId,
    stepBase,
  }, settings);
  const { loss, taskLosses, status, reason, loadMs, computeMs } = r;
  return {
    record: { loss, taskLosses, status, reason, loadMs, computeMs, lossesSha256: r.lossesSha256 ?? null },
    streamSha256,
  };
}

/** A window job, on the window's data from the bucket. */
async function measureWindow(
  o: WorkerOptions,
  lane: EvalLane,
  job: WindowJobMessage,
  data: DataCache<WindowData>,
  global: GlobalSession,
): Promise<MeasuredRecord> {
  let sets: WindowData;
  try {
    sets = await data.get(job.streamSha256);
  } catch (e) {
    o.signal.throwIfAborted();
    if (!(e instanceof StepDataMismatch)) throw e;
    return failed(`queue: ${e.message}`);
  }
  return await measureWindowJob(o, lane, job, sets, global);
}

function failed(reason: string): MeasuredRecord {
  return {
    loss: null,
    taskLosses: {},
    status: "failed",
    reason: formatReason(reason),
    loadMs: null,
    computeMs: null,
    lossesSha256: null,
  };
}

/** Publishes the result, waiting out an outage of the queue. */
async function untilSent(o: WorkerOptions, name: string, send: () => Promise<unknown>): Promise<void> {
  let said = false;
  for (;;) {
    try {
      await send();
      return;
    } catch (e) {
      if (!said) o.log(`${name}: could not publish a result (${(e as Error).message.slice(0, 120)}); trying again`);
      said = true;
      o.signal.throwIfAborted();
      await pause(1_000, o.signal);
    }
  }
}

/** Data from the bucket, fetched once per step or window and checked against the hash that names it. */
class DataCache<T> {
  readonly #entries = new Map<string, Promise<T>>();
  constructor(readonly queue: EvalQueue, readonly decode: (bytes: Uint8Array, hash: string) => T) {}

  get(hash: string): Promise<T> {
    let entry = this.#entries.get(hash);
    if (!entry) {
      entry = this.#load(hash);
      entry.catch(() => this.#entries.delete(hash));
      this.#entries.set(hash, entry);
      // Two at most: a worker serves one step or window at a time, and the next may start.
      while (this.#entries.size > 2) this.#entries.delete(this.#entries.keys().next().value!);
    }
    return entry;
  }

  async #load(hash: string): Promise<T> {
    const bytes = await this.queue.data.getBlob(hash);
    if (!bytes) throw new StepDataMismatch(`the data ${hash.slice(0, 12)}… is not in the bucket`);
    return this.decode(bytes, hash);
  }
}
