/**
 * A batch of jobs on the queue, as the coordinator runs one (a step's models, a window's parts):
 * its data put in the bucket once, one job per item published (deduplicated by id, so a resumed
 * batch publishes nothing twice), and each result taken as it arrives. A result is refused when it
 * is malformed or when the worker's data hash is not the batch's; the job is then issued again, a
 * bounded number of times, and after that the item is failed. While the server is away the batch
 * waits; when it is back, the jobs still without a result are published again (the server drops
 * those it still holds as duplicates).
 */
import { DeliverPolicy } from "@nats-io/jetstream";
import type { Consumer } from "@nats-io/jetstream";
import {
  BadMessage,
  encodeMessage,
  type JobMessage,
  parseResult,
  type ResultMessage,
  type WindowJobMessage,
} from "./messages.ts";
import { pause } from "./pause.ts";
import { type EvalQueue, QUEUE_NAMES } from "./queue.ts";

/** How the coordinator treats jobs. */
export interface CoordinatorOptions {
  /** Workers one job may go to before the model is recorded as failed (default 3). */
  maxAttempts?: number;
  /** Issues of one job after refused results, before it is recorded as failed (default 2). */
  maxReissues?: number;
  /** Least time between two "waiting for results" lines (default 60 s). */
  waitLogMs?: number;
}

/** A batch: its key, its data and the hash that names it, and what becomes of each item. */
export interface JobBatch<T> {
  stepKey: string;
  /** The data's hash, its name in the bucket; every result must carry it. */
  dataHash: string;
  data: () => Uint8Array;
  jobs: { item: T; job: JobMessage | WindowJobMessage }[];
  /** What the jobs are of, plural ("models"). */
  noun: string;
  /** How a log line names an item ("uid 3"). */
  label: (item: T) => string;
  /** A result for the item, from the worker named in it. */
  accept: (item: T, result: ResultMessage) => void;
  /** The item could not be had from the workers, and why. */
  fail: (item: T, why: string) => void;
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** Runs a batch to a result or a failure for every item. */
export async function runJobs<T>(queue: EvalQueue, batch: JobBatch<T>, o: CoordinatorOptions = {}): Promise<void> {
  if (batch.jobs.length > 0) await new JobsOnQueue(queue, batch, o).run();
}

type Pending<T> = { item: T; job: JobMessage | WindowJobMessage; reissues: number };

class JobsOnQueue<T> {
  readonly #pending = new Map<string, Pending<T>>();

  constructor(readonly queue: EvalQueue, readonly batch: JobBatch<T>, readonly o: CoordinatorOptions) {
    for (const { item, job } of batch.jobs) this.#pending.set(job.key, { item, job, reissues: 0 });
  }

  async run(): Promise<void> {
    const { batch } = this;
    await this.#whileQueueUp("publishing the jobs", () => this.#publish());
    batch.log(
      `  queued ${this.#pending.size} ${batch.noun} on ${this.queue.where} (data ${batch.dataHash.slice(0, 12)}…)`,
    );
    let consumer: Consumer | undefined;
    let reconnects = this.queue.reconnects();
    let lastLine = performance.now();
    while (this.#pending.size > 0) {
      batch.signal?.throwIfAborted();
      if (this.queue.reconnects() !== reconnects) {
        reconnects = this.queue.reconnects();
        consumer = undefined;
        await this.#whileQueueUp("publishing the jobs again", () => this.#publish());
      }
      try {
        consumer ??= await this.queue.js.consumers.get(QUEUE_NAMES.resultsStream, {
          filter_subjects: QUEUE_NAMES.stepResults(batch.stepKey),
          deliver_policy: DeliverPolicy.All,
        });
        const msg = await consumer.next({ expires: 2_000 });
        this.#resumed();
        if (msg) this.#take(msg.data);
      } catch (e) {
        batch.signal?.throwIfAborted();
        consumer = undefined;
        await this.#pause(`reading results: ${(e as Error).message.slice(0, 120)}`);
      }
      if (performance.now() - lastLine > (this.o.waitLogMs ?? 60_000)) {
        lastLine = performance.now();
        batch.log(`  waiting for ${this.#pending.size} results from the workers on ${this.queue.where}`);
      }
    }
  }

  /** Puts the data in the bucket unless it is there, then publishes every pending job. */
  async #publish(): Promise<void> {
    const name = this.batch.dataHash;
    if (!(await this.queue.data.info(name))) await this.queue.data.putBlob({ name }, this.batch.data());
    for (const { job } of this.#pending.values()) {
      await this.queue.js.publish(QUEUE_NAMES.jobsSubject(job.stepKey), encodeMessage(job), { msgID: job.id });
    }
  }

  /** One result off the queue: taken, ignored (a duplicate) or refused (and its job issued again). */
  #take(data: Uint8Array): void {
    const { batch } = this;
    let result;
    try {
      result = parseResult(data);
    } catch (e) {
      if (!(e instanceof BadMessage)) throw e;
      batch.log(`  refused a result: ${e.message}`);
      return;
    }
    const entry = this.#pending.get(result.key);
    if (!entry) return; // a second answer to a job already counted
    const { worker } = result;
    if (result.streamSha256 !== batch.dataHash) {
      batch.log(
        `  ${batch.label(entry.item)}: refused the result of worker ${worker.name}: its token stream hashes to ` +
          `${result.streamSha256.slice(0, 12)}…, not the step's ${batch.dataHash.slice(0, 12)}…`,
      );
      this.#reissue(entry, `workers reported another token stream than the step's`);
      return;
    }
    this.#pending.delete(result.key);
    batch.log(`  ${batch.label(entry.item)}: evaluated by worker ${worker.name} on ${worker.device}`);
    batch.accept(entry.item, result);
  }

  /** Issues a job again under a new id, or after `maxReissues` fails the item. */
  #reissue(entry: Pending<T>, why: string): void {
    if (entry.reissues >= (this.o.maxReissues ?? 2)) {
      this.#pending.delete(entry.job.key);
      this.batch.fail(entry.item, `queue: ${why} ${entry.reissues + 1} times`);
      return;
    }
    entry.reissues++;
    entry.job = { ...entry.job, id: `${entry.job.key}~${entry.reissues}` };
    this.queue.js.publish(QUEUE_NAMES.jobsSubject(entry.job.stepKey), encodeMessage(entry.job), {
      msgID: entry.job.id,
    }).catch(() => {}); // a reconnect publishes every pending job again
  }

  /** Runs `f` until it succeeds, pausing while the queue is away. */
  async #whileQueueUp(what: string, f: () => Promise<void>): Promise<void> {
    for (;;) {
      this.batch.signal?.throwIfAborted();
      try {
        await f();
        return this.#resumed();
      } catch (e) {
        this.batch.signal?.throwIfAborted();
        await this.#pause(`${what}: ${(e as Error).message.slice(0, 120)}`);
      }
    }
  }

  #paused = false;

  /** Waits a moment for the queue to come back, saying so once per outage. */
  async #pause(why: string): Promise<void> {
    if (!this.#paused) this.batch.log(`  the queue is unavailable (${why}); the step waits for it`);
    this.#paused = true;
    await pause(1_000, this.batch.signal);
  }

  /** After an outage, says the step goes on. */
  #resumed(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.batch.log(`  the queue is back; the step goes on`);
  }
}
