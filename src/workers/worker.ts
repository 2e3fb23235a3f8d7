/**
 * A queue worker: each lane (a device, or its share of the CPU) pulls the next job from the
 * workers' shared consumer, fetches the model into its own cache with the same checks as the
 * validator, evaluates it with the same code (`evaluateModel`), publishes the result under the
 * job's id and only then acknowledges the job. While it works it extends the job's deadline; a
 * worker that dies leaves the job to be delivered again. A job delivered more often than its
 * `maxAttempts` is a model that ends its workers: it is recorded as failed without running it.
 * The worker needs no chain and no keys.
 */
import { hostname } from "node:os";
import type { JsMsg } from "@nats-io/jetstream";
import { type CheckedModel, ENGINE_VERSION, formatReason } from "../../eval/mod.ts";
import type { TaskData } from "../data/mod.ts";
import type { ModelStore } from "../hub/mod.ts";
import { VERSION } from "../version.ts";
import { type EvalLane, type EvalSettings, evaluateModel, laneName, prepareStepBase } from "../validator/mod.ts";
import {
  BadMessage,
  encodeMessage,
  type JobMessage,
  type MeasuredRecord,
  parseJob,
  type ResultMessage,
  WIRE_VERSION,
} from "./messages.ts";
import { pause } from "./pause.ts";
import { type EvalQueue, QUEUE_NAMES } from "./queue.ts";
import { decodeStepData, StepDataMismatch } from "./step_data.ts";

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

/** Serves jobs on every lane until `signal` aborts. */
export async function serveJobs(o: WorkerOptions): Promise<void> {
  const name = o.name ?? `${hostname()}/${Deno.pid}`;
  const data = new StepDataCache(o.queue);
  await Promise.all(o.lanes.map((lane, i) => serveLane(o, lane, o.lanes.length > 1 ? `${name}#${i + 1}` : name, data)));
}

async function serveLane(o: WorkerOptions, lane: EvalLane, name: string, data: StepDataCache): Promise<void> {
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
    if (msg) await serveJob(o, lane, name, data, msg);
  }
}

/** One delivery of a job, to its result (or back to the queue when the worker stops). */
async function serveJob(o: WorkerOptions, lane: EvalLane, name: string, data: StepDataCache, msg: JsMsg) {
  const { queue, log, signal } = o;
  let job: JobMessage;
  try {
    job = parseJob(msg.data);
  } catch (e) {
    if (!(e instanceof BadMessage)) throw e;
    log(`${name}: refused a job: ${e.message}`);
    // Another version's job is for another worker; anything else can never be served.
    if (/bad version/.test(e.message)) msg.nak(30_000);
    else msg.term(e.message);
    return;
  }
  const { model } = job;
  const label = `uid ${model.uid} ${model.repo}@${model.revision.slice(0, 8)}`;
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
      log(`${name}: ${label}: evaluating (step ${job.stepId}, attempt ${attempt} of ${job.maxAttempts})`);
      const outcome = await evaluate(o, lane, name, job, data);
      record = outcome.record;
      streamSha256 = outcome.streamSha256;
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
        queue.js.publish(QUEUE_NAMES.resultSubject(job.stepKey, model.hotkey), encodeMessage(result), {
          msgID: job.id,
        }),
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
  data: StepDataCache,
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

/** The steps' token data, fetched from the bucket once per step and checked against its hash. */
class StepDataCache {
  readonly #entries = new Map<string, Promise<TaskData[]>>();
  constructor(readonly queue: EvalQueue) {}

  get(hash: string): Promise<TaskData[]> {
    let entry = this.#entries.get(hash);
    if (!entry) {
      entry = this.#load(hash);
      entry.catch(() => this.#entries.delete(hash));
      this.#entries.set(hash, entry);
      // Two steps' data at most: a worker serves one step at a time, and the next may start.
      while (this.#entries.size > 2) this.#entries.delete(this.#entries.keys().next().value!);
    }
    return entry;
  }

  async #load(hash: string): Promise<TaskData[]> {
    const bytes = await this.queue.data.getBlob(hash);
    if (!bytes) throw new StepDataMismatch(`the step's token data ${hash.slice(0, 12)}… is not in the bucket`);
    return decodeStepData(bytes, hash);
  }
}
