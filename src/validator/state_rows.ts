/**
 * How a row of the state's database becomes a record: SQLite hands back loose values (bigints,
 * JSON text, nulls), and only the state may know the column names, so the decoding lives here,
 * shared by `state.ts` and `state_queries.ts`.
 */
import type { EvalRecord, StepRecord, TrackedModel } from "./state_records.ts";

/** A row as `node:sqlite` returns it. */
export type Row = Record<string, unknown>;

/** A nullable numeric column (a missing column reads as null too). */
export const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A nullable text column. */
export const text = (v: unknown): string | null => (v as string | null | undefined) ?? null;

/** A `models` row. */
export function toModel(r: Row): TrackedModel {
  return {
    hotkey: r.hotkey as string,
    uid: Number(r.uid),
    competitionId: Number(r.competition_id),
    repo: r.repo as string,
    revision: r.revision as string,
    secureHash: r.secure_hash as string,
    commitBlock: Number(r.commit_block),
    status: r.status as TrackedModel["status"],
    reason: text(r.reason),
    updatedBlock: Number(r.updated_block),
    commitment: text(r.commitment),
  };
}

/** A `steps` row. */
export function toStep(r: Row): StepRecord {
  return {
    id: Number(r.id),
    block: Number(r.block),
    competitionId: Number(r.competition_id),
    seed: r.seed as string,
    status: r.status as StepRecord["status"],
    manifest: r.manifest ? JSON.parse(r.manifest as string) : null,
    startedMs: Number(r.started_ms),
    finishedMs: r.finished_ms === null ? null : Number(r.finished_ms),
    reason: text(r.reason),
    baseline: r.baseline ? JSON.parse(r.baseline as string) : null,
  };
}

/** An `evals` row. */
export function toEval(r: Row): EvalRecord {
  return {
    stepId: Number(r.step_id),
    hotkey: r.hotkey as string,
    uid: Number(r.uid),
    competitionId: Number(r.competition_id),
    repo: r.repo as string,
    revision: r.revision as string,
    commitBlock: Number(r.commit_block),
    loss: num(r.loss),
    taskLosses: JSON.parse(r.task_losses as string),
    status: r.status as EvalRecord["status"],
    reason: text(r.reason),
    loadMs: num(r.load_ms),
    computeMs: num(r.compute_ms),
    winRate: num(r.win_rate),
    wins: num(r.wins),
    epsilon: num(r.epsilon),
    weight: num(r.weight),
    excluded: text(r.excluded),
    explanation: text(r.explanation),
    queued: text(r.queued),
    lossesSha256: text(r.losses_sha256),
    evaluatedOn: text(r.evaluated_on),
  };
}
