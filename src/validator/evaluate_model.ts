/**
 * One model's evaluation in a step: fetch (header checks, download, hash check), then
 * `scoreModel` — the same scoring a miner's preflight runs. Every failure becomes a result with a
 * reason; nothing a model does makes this throw.
 */
import { type CheckedModel, formatReason, ModelRejected } from "../../eval/mod.ts";
import type { Competition } from "../competitions/mod.ts";
import type { TaskData } from "../data/mod.ts";
import { downloadMeter, type FetchedModel, fetchModel, type ModelStore } from "../hub/mod.ts";
import { adapterLimits, scoreModel, type ScoreSettings, submissionLimits } from "./score_model.ts";
import type { EvalRecord, TrackedModel } from "./state.ts";

/** Settings for evaluating models: where to fetch them from and cache them, and how to score them. */
export interface EvalSettings extends ScoreSettings {
  store: ModelStore;
  cacheDir: string;
  log: (line: string) => void;
  /** Least time between two download progress lines per model (default 10 s). */
  progressIntervalMs?: number;
  /** Told what each successful fetch left in the cache (for the record of the validator's own entries). */
  onFetched?: (fetched: FetchedModel) => void;
}

/** One model to evaluate in a step: the commitment, its competition and the step's token sequences. */
export interface EvalJob {
  model: TrackedModel;
  competition: Competition;
  tasks: TaskData[];
  stepId: number;
  /** In an adapter competition: the step's checked base; the commitment must hold an adapter for it. */
  stepBase?: CheckedModel;
}

/** Evaluates a job's model on the step's data; never throws for a model's own fault. */
export async function evaluateModel(job: EvalJob, s: EvalSettings): Promise<EvalRecord> {
  const { model, competition, tasks, stepId, stepBase } = job;
  const base = {
    stepId,
    hotkey: model.hotkey,
    uid: model.uid,
    competitionId: competition.id,
    repo: model.repo,
    revision: model.revision,
    commitBlock: model.commitBlock,
  };
  const started = performance.now();
  let fetched: FetchedModel;
  try {
    fetched = await fetchModel(s.store, model.repo, model.revision, {
      cacheDir: s.cacheDir,
      limits: submissionLimits(competition),
      adapter: stepBase && { base: stepBase, limits: adapterLimits(competition) },
      expect: { secureHash: model.secureHash, hotkey: model.hotkey },
      onProgress: downloadMeter({
        emit: s.log,
        prefix: `    uid ${model.uid}: `,
        intervalMs: s.progressIntervalMs ?? 10_000,
      }),
    });
    s.onFetched?.(fetched);
  } catch (e) {
    s.signal?.throwIfAborted();
    const reason = e instanceof ModelRejected ? `${e.code}: ${e.message}` : `could not fetch: ${(e as Error).message}`;
    return {
      ...base,
      loss: null,
      taskLosses: {},
      status: e instanceof ModelRejected ? "rejected" : "failed",
      reason: formatReason(reason),
      loadMs: performance.now() - started,
      computeMs: null,
    };
  }
  s.signal?.throwIfAborted();
  const fetchMs = performance.now() - started;
  const score = await scoreModel(fetched.dir, { competition, tasks }, s, { base: stepBase });
  return {
    ...base,
    loss: score.loss,
    taskLosses: score.taskLosses,
    lossesSha256: score.lossesSha256,
    status: score.status,
    reason: score.reason,
    loadMs: fetchMs + (score.loadMs ?? 0),
    computeMs: score.computeMs,
  };
}
