/**
 * The reads the leaderboard makes of the validator's state, as typed rows. They live beside the
 * schema so the leaderboard never sees a table or a column; it only shapes these rows for its API.
 * All are plain reads, safe while the validator writes (SQLite WAL readers never block the
 * writer), and each list is bounded by what it asks for, never by a hidden cap.
 */
import type { DatabaseSync } from "node:sqlite";
import type { EvalRecord, StepBaseline, StepRecord, TrackedModel } from "./state_records.ts";
import { num, type Row, text, toModel, toStep } from "./state_rows.ts";

/** A competition's latest completed step. */
export interface DoneStepRow {
  id: number;
  block: number;
  seed: string;
  /** In an adapter competition: the base's result on the step's pages. */
  baseline: StepBaseline | null;
}

/** A model's scored result in a step. */
export interface ScoredEvalRow {
  uid: number;
  hotkey: string;
  repo: string;
  revision: string;
  commitBlock: number;
  loss: number | null;
  taskLosses: Record<string, number>;
  epsilon: number | null;
  winRate: number | null;
  wins: number | null;
  weight: number | null;
  status: EvalRecord["status"];
  reason: string | null;
  explanation: string | null;
}

/** A model tracked for a competition that a step did not score. */
export type UnscoredModelRow = Pick<
  TrackedModel,
  "uid" | "hotkey" | "repo" | "revision" | "commitBlock" | "status" | "reason"
>;

/** One evaluation of a uid, with its step's block. */
export interface UidEvalRow {
  stepId: number;
  block: number;
  competitionId: number;
  loss: number | null;
  winRate: number | null;
  weight: number | null;
  status: EvalRecord["status"];
}

/** A model's loss at a completed step's block. */
export interface LossPointRow {
  uid: number;
  repo: string;
  block: number;
  loss: number;
}

/** A step's manifest (what pages it evaluated on). */
export interface ManifestRow {
  stepId: number;
  block: number;
  competitionId: number;
  manifest: unknown;
}

/** A commitment the validator keeps but does not evaluate. */
export interface IgnoredCommitmentRow {
  uid: number;
  hotkey: string;
  commitBlock: number;
  commitment: string | null;
  reason: string | null;
}

/** A step that did not complete. */
export interface FailedStepRow {
  stepId: number;
  block: number;
  competitionId: number;
  reason: string | null;
  startedMs: number;
}

/** The leaderboard's reads over the state's database; `ValidatorState.queries` holds one. */
export class StateQueries {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** The latest completed step of a competition. */
  latestDoneStep(competitionId: number): DoneStepRow | undefined {
    const r = this.#db.prepare(
      "SELECT id, block, seed, baseline FROM steps WHERE competition_id = ? AND status = 'done' ORDER BY id DESC LIMIT 1",
    ).get(competitionId) as Row | undefined;
    if (!r) return undefined;
    const baseline = r.baseline ? JSON.parse(r.baseline as string) as StepBaseline : null;
    return { id: Number(r.id), block: Number(r.block), seed: r.seed as string, baseline };
  }

  /** Every model's result in a step. */
  scoredIn(stepId: number): ScoredEvalRow[] {
    return (this.#db.prepare(
      `SELECT uid, hotkey, repo, revision, commit_block, loss, task_losses, epsilon, win_rate, wins, weight, status, reason, explanation
       FROM evals WHERE step_id = ?`,
    ).all(stepId) as Row[]).map((r) => ({
      uid: Number(r.uid),
      hotkey: r.hotkey as string,
      repo: r.repo as string,
      revision: r.revision as string,
      commitBlock: Number(r.commit_block),
      loss: num(r.loss),
      taskLosses: r.task_losses ? JSON.parse(r.task_losses as string) : {},
      epsilon: num(r.epsilon),
      winRate: num(r.win_rate),
      wins: num(r.wins),
      weight: num(r.weight),
      status: r.status as EvalRecord["status"],
      reason: text(r.reason),
      explanation: text(r.explanation),
    }));
  }

  /**
   * The models tracked for a competition (ignored commitments aside) that step `stepId` did not
   * score: rejected before it, or still waiting out their evaluation delay. Without a step, all of them.
   */
  unscoredModels(competitionId: number, stepId?: number): UnscoredModelRow[] {
    return (this.#db.prepare(
      `SELECT * FROM models
       WHERE competition_id = ? AND status != 'ignored' AND hotkey NOT IN (SELECT hotkey FROM evals WHERE step_id = ?)`,
    ).all(competitionId, stepId ?? -1) as Row[]).map(toModel);
  }

  /**
   * A uid's evaluations, oldest first. Only those of the hotkey that holds the uid now: a uid
   * passes to a new owner on re-registration, and the old owner's results are not the new one's.
   */
  uidEvals(uid: number): UidEvalRow[] {
    return (this.#db.prepare(
      `SELECT e.step_id, s.block, e.competition_id, e.loss, e.win_rate, e.weight, e.status
       FROM evals e JOIN steps s ON s.id = e.step_id JOIN models m ON m.hotkey = e.hotkey AND m.uid = ?
       ORDER BY e.step_id`,
    ).all(uid) as Row[]).map((r) => ({
      stepId: Number(r.step_id),
      block: Number(r.block),
      competitionId: Number(r.competition_id),
      loss: num(r.loss),
      winRate: num(r.win_rate),
      weight: num(r.weight),
      status: r.status as EvalRecord["status"],
    }));
  }

  /** The losses of a competition's completed steps from block `sinceBlock` on, by uid then block. */
  lossPoints(competitionId: number, sinceBlock: number): LossPointRow[] {
    return (this.#db.prepare(
      `SELECT e.uid, e.repo, s.block, e.loss FROM evals e JOIN steps s ON s.id = e.step_id
       WHERE s.competition_id = ? AND s.status = 'done' AND s.block >= ? AND e.loss IS NOT NULL
       ORDER BY e.uid, s.block`,
    ).all(competitionId, sinceBlock) as Row[]).map((r) => ({
      uid: Number(r.uid),
      repo: r.repo as string,
      block: Number(r.block),
      loss: Number(r.loss),
    }));
  }

  /** The manifests of the latest `limit` steps that have one, newest first. */
  manifests(limit: number): ManifestRow[] {
    return (this.#db.prepare(
      "SELECT * FROM steps WHERE manifest IS NOT NULL ORDER BY id DESC LIMIT ?",
    ).all(limit) as Row[]).map(toStep).map((s) => ({ ...stepHead(s), manifest: s.manifest }));
  }

  /** Commitments kept as ignored (malformed, or for a competition not in force), by uid. */
  ignoredCommitments(): IgnoredCommitmentRow[] {
    return (this.#db.prepare(
      "SELECT uid, hotkey, commit_block, commitment, reason FROM models WHERE status = 'ignored' ORDER BY uid",
    ).all() as Row[]).map((r) => ({
      uid: Number(r.uid),
      hotkey: r.hotkey as string,
      commitBlock: Number(r.commit_block),
      commitment: text(r.commitment),
      reason: text(r.reason),
    }));
  }

  /** The latest `limit` failed steps, newest first. */
  failedSteps(limit: number): FailedStepRow[] {
    return (this.#db.prepare(
      "SELECT * FROM steps WHERE status = 'failed' ORDER BY id DESC LIMIT ?",
    ).all(limit) as Row[]).map(toStep).map((s) => ({ ...stepHead(s), reason: s.reason, startedMs: s.startedMs }));
  }

  /** The block of the newest step, whatever its status; undefined before the first. */
  latestStepBlock(): number | undefined {
    const r = this.#db.prepare("SELECT block FROM steps ORDER BY id DESC LIMIT 1").get() as Row | undefined;
    return r ? Number(r.block) : undefined;
  }
}

/** Which step a row speaks of, as the leaderboard names it. */
function stepHead(s: StepRecord): { stepId: number; block: number; competitionId: number } {
  return { stepId: s.id, block: s.block, competitionId: s.competitionId };
}
