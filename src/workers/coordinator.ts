/**
 * The validator's side of the queue: an `Evaluator` whose step puts its token data in the bucket
 * once, publishes one job per model (deduplicated by id, so a resumed step publishes nothing
 * twice), and records each result as it arrives. A result is refused when it is malformed or
 * when the worker's stream hash is not the step's; the job is then issued again, a bounded number
 * of times. While the server is away the step waits; when it is back, the jobs still without a
 * result are published again (the server drops those it still holds as duplicates).
 */
import { DeliverPolicy } from "@nats-io/jetstream";
import type { Consumer } from "@nats-io/jetstream";
import type { EvalRecord, Evaluator, StepEvaluation } from "../validator/mod.ts";
import type { Candidate } from "../validator/mod.ts";
import { BadMessage, encodeMessage, jobKey, type JobMessage, parseResult, WIRE_VERSION } from "./messages.ts";
import { pause } from "./pause.ts";
import { type EvalQueue, QUEUE_NAMES } from "./queue.ts";
import { encodeStepData, stepStreamHash } from "./step_data.ts";

/** How the coordinator treats jobs. */
export interface CoordinatorOptions {
  /** Workers one job may go to before the model is recorded as failed (default 3). */
  maxAttempts?: number;
  /** Issues of one job after refused results, before it is recorded as failed (default 2). */
  maxReissues?: number;
  /** Least time between two "waiting for results" lines (default 60 s). */
  waitLogMs?: number;
}

/** Evaluations on the queue's workers. */
export function queueEvaluator(queue: EvalQueue, o: CoordinatorOptions = {}): Evaluator {
  return {
    async evaluate(step, onResult) {
      if (step.models.length === 0) return;
      await new StepOnQueue(queue, step, o).run(onResult);
    },
  };
}

/** One step's jobs on the queue. */
class StepOnQueue {
  readonly #hash: string;
  readonly #pending = new Map<string, { model: Candidate; job: JobMessage; reissues: number }>();
  readonly #log: (line: string) => void;
  readonly #signal?: AbortSignal;

  constructor(readonly queue: EvalQueue, readonly step: StepEvaluation, readonly o: CoordinatorOptions) {
    this.#hash = stepStreamHash(step.tasks);
    this.#log = step.settings.log;
    this.#signal = step.settings.signal;
    const s = step.settings;
    for (const m of step.models) {
      const key = jobKey(step.stepKey, m.model.hotkey);
      const { hotkey, uid, repo, revision, secureHash, commitBlock } = m.model;
      const job: JobMessage = {
        v: WIRE_VERSION,
        key,
        id: key,
        stepKey: step.stepKey,
        stepId: step.stepId,
        model: { hotkey, uid, repo, revision, secureHash, commitBlock },
        competition: step.competition,
        streamSha256: this.#hash,
        eosTokenId: s.eosTokenId,
        batchSize: s.batchSize,
        timeLimitMs: s.timeCapMs,
        maxAttempts: o.maxAttempts ?? 3,
        baseline: step.stepBase?.baseline,
      };
      this.#pending.set(key, { model: m, job, reissues: 0 });
    }
  }

  async run(onResult: (m: Candidate, r: EvalRecord) => void): Promise<void> {
    await this.#whileQueueUp("publishing the step's jobs", () => this.#publish());
    this.#log(
      `  queued ${this.#pending.size} models on ${this.queue.where} (step data ${this.#hash.slice(0, 12)}…)`,
    );
    let consumer: Consumer | undefined;
    let reconnects = this.queue.reconnects();
    let lastLine = performance.now();
    while (this.#pending.size > 0) {
      this.#signal?.throwIfAborted();
      if (this.queue.reconnects() !== reconnects) {
        reconnects = this.queue.reconnects();
        consumer = undefined;
        await this.#whileQueueUp("publishing the step's jobs again", () => this.#publish());
      }
      try {
        consumer ??= await this.queue.js.consumers.get(QUEUE_NAMES.resultsStream, {
          filter_subjects: QUEUE_NAMES.stepResults(this.step.stepKey),
          deliver_policy: DeliverPolicy.All,
        });
        const msg = await consumer.next({ expires: 2_000 });
        this.#resumed();
        if (msg) this.#take(msg.data, onResult);
      } catch (e) {
        this.#signal?.throwIfAborted();
        consumer = undefined;
        await this.#pause(`reading results: ${(e as Error).message.slice(0, 120)}`);
      }
      if (performance.now() - lastLine > (this.o.waitLogMs ?? 60_000)) {
        lastLine = performance.now();
        this.#log(`  waiting for ${this.#pending.size} results from the workers on ${this.queue.where}`);
      }
    }
  }

  /** Puts the step's data in the bucket unless it is there, then publishes every pending job. */
  async #publish(): Promise<void> {
    const name = this.#hash;
    if (!(await this.queue.data.info(name))) {
      await this.queue.data.putBlob({ name }, encodeStepData(this.step.tasks));
    }
    for (const { job } of this.#pending.values()) {
      await this.queue.js.publish(QUEUE_NAMES.jobsSubject(job.stepKey), encodeMessage(job), { msgID: job.id });
    }
  }

  /** One result off the queue: recorded, ignored (a duplicate) or refused (and its job issued again). */
  #take(data: Uint8Array, onResult: (m: Candidate, r: EvalRecord) => void): void {
    let result;
    try {
      result = parseResult(data);
    } catch (e) {
      if (!(e instanceof BadMessage)) throw e;
      this.#log(`  refused a result: ${e.message}`);
      return;
    }
    const entry = this.#pending.get(result.key);
    if (!entry) return; // a second answer to a job already counted
    const { model } = entry.model;
    const { worker } = result;
    if (result.streamSha256 !== this.#hash) {
      this.#log(
        `  uid ${model.uid}: refused the result of worker ${worker.name}: its token stream hashes to ` +
          `${result.streamSha256.slice(0, 12)}…, not the step's ${this.#hash.slice(0, 12)}…`,
      );
      this.#reissue(entry, onResult, `workers reported another token stream than the step's`);
      return;
    }
    this.#pending.delete(result.key);
    this.#log(`  uid ${model.uid}: evaluated by worker ${worker.name} on ${worker.device}`);
    onResult(entry.model, {
      ...this.#recordOf(model),
      ...result.record,
      evaluatedOn: `${worker.device}, worker ${worker.name} (${worker.engine}, v${worker.version})`,
    });
  }

  /** The part of a model's record that names it in this step. */
  #recordOf(model: Candidate["model"]) {
    const { hotkey, uid, repo, revision, commitBlock } = model;
    return {
      stepId: this.step.stepId,
      hotkey,
      uid,
      competitionId: this.step.competition.id,
      repo,
      revision,
      commitBlock,
    };
  }

  /** Issues a job again under a new id, or after `maxReissues` records the model as failed. */
  #reissue(
    entry: { model: Candidate; job: JobMessage; reissues: number },
    onResult: (m: Candidate, r: EvalRecord) => void,
    why: string,
  ): void {
    const { model } = entry.model;
    if (entry.reissues >= (this.o.maxReissues ?? 2)) {
      this.#pending.delete(entry.job.key);
      onResult(entry.model, {
        ...this.#recordOf(model),
        loss: null,
        taskLosses: {},
        status: "failed",
        reason: `queue: ${why} ${entry.reissues + 1} times`,
        loadMs: null,
        computeMs: null,
      });
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
      this.#signal?.throwIfAborted();
      try {
        await f();
        return this.#resumed();
      } catch (e) {
        this.#signal?.throwIfAborted();
        await this.#pause(`${what}: ${(e as Error).message.slice(0, 120)}`);
      }
    }
  }

  #paused = false;

  /** Waits a moment for the queue to come back, saying so once per outage. */
  async #pause(why: string): Promise<void> {
    if (!this.#paused) this.#log(`  the queue is unavailable (${why}); the step waits for it`);
    this.#paused = true;
    await pause(1_000, this.#signal);
  }

  /** After an outage, says the step goes on. */
  #resumed(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#log(`  the queue is back; the step goes on`);
  }
}
