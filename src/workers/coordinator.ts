/**
 * The validator's side of the queue: an `Evaluator` whose step is a batch of jobs (jobs_on_queue.ts),
 * one per model, over the step's token data. Each result becomes the model's record as a local
 * evaluation would have made it, with the worker that made it; a model whose job could not be
 * answered is recorded as failed.
 */
import type { Candidate, EvalRecord, Evaluator, StepEvaluation } from "../validator/mod.ts";
import { type CoordinatorOptions, runJobs } from "./jobs_on_queue.ts";
import { jobKey, type JobMessage, WIRE_VERSION } from "./messages.ts";
import type { EvalQueue } from "./queue.ts";
import { encodeStepData, stepStreamHash } from "./step_data.ts";

export type { CoordinatorOptions } from "./jobs_on_queue.ts";

/** Evaluations on the queue's workers. */
export function queueEvaluator(queue: EvalQueue, o: CoordinatorOptions = {}): Evaluator {
  return {
    async evaluate(step, onResult) {
      const hash = stepStreamHash(step.tasks);
      const s = step.settings;
      await runJobs<Candidate>(queue, {
        stepKey: step.stepKey,
        dataHash: hash,
        data: () => encodeStepData(step.tasks),
        jobs: step.models.map((m) => ({ item: m, job: modelJob(step, m, hash, o) })),
        noun: "models",
        label: (m) => `uid ${m.model.uid}`,
        accept: (m, result) => {
          const { worker } = result;
          onResult(m, {
            ...recordOf(step, m),
            ...result.record,
            evaluatedOn: `${worker.device}, worker ${worker.name} (${worker.engine}, v${worker.version})`,
          });
        },
        fail: (m, reason) =>
          onResult(m, {
            ...recordOf(step, m),
            loss: null,
            taskLosses: {},
            status: "failed",
            reason,
            loadMs: null,
            computeMs: null,
          }),
        log: s.log,
        signal: s.signal,
      }, o);
    },
  };
}

/** A model's job in the step. */
function modelJob(step: StepEvaluation, m: Candidate, hash: string, o: CoordinatorOptions): JobMessage {
  const key = jobKey(step.stepKey, m.model.hotkey);
  const { hotkey, uid, repo, revision, secureHash, commitBlock } = m.model;
  const s = step.settings;
  return {
    v: WIRE_VERSION,
    key,
    id: key,
    stepKey: step.stepKey,
    stepId: step.stepId,
    model: { hotkey, uid, repo, revision, secureHash, commitBlock },
    competition: step.competition,
    streamSha256: hash,
    eosTokenId: s.eosTokenId,
    batchSize: s.batchSize,
    timeLimitMs: s.timeCapMs,
    maxAttempts: o.maxAttempts ?? 3,
    baseline: step.stepBase?.baseline,
  };
}

/** The part of a model's record that names it in this step. */
function recordOf(
  step: StepEvaluation,
  m: Candidate,
): Omit<EvalRecord, "loss" | "taskLosses" | "status" | "reason" | "loadMs" | "computeMs"> {
  const { hotkey, uid, repo, revision, commitBlock } = m.model;
  return { stepId: step.stepId, hotkey, uid, competitionId: step.competition.id, repo, revision, commitBlock };
}
