/**
 * What the leaderboard shows, as SQL over the validator's state (read-only, safe while the
 * validator writes: SQLite WAL readers never block the writer). Every list is bounded by what it
 * asks for (a competition, a uid, a block window, an explicit limit), never by a hidden cap.
 */
import type { Schedule } from "../competitions/mod.ts";
import { scheduleAt } from "../competitions/mod.ts";
import { improvementOverBase } from "../scoring/mod.ts";
import type { ValidatorState } from "../validator/mod.ts";

type Row = Record<string, unknown>;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** One model's row in a competition's leaderboard. */
export interface LeaderboardRow {
  uid: number;
  hotkey: string;
  repo: string;
  commit: string;
  commitBlock: number;
  loss: number | null;
  taskLosses: Record<string, number>;
  epsilon: number | null;
  winRate: number | null;
  wins: number | null;
  weight: number | null;
  status: string;
  reason: string | null;
  /** Why it earns what it earns (null for a model not in the step). */
  explanation: string | null;
  /** In an adapter competition: the base's loss minus this one's on the step's pages. */
  improvement: number | null;
}

/** A competition's latest completed step and its rows, best first. */
export interface Leaderboard {
  competitionId: number;
  step: { id: number; block: number; seed: string } | null;
  /** In an adapter competition: the pinned base and its loss on the step's pages. */
  base: { repo: string; revision: string; loss: number } | null;
  rows: LeaderboardRow[];
}

/**
 * The leaderboard of one competition: the rows of its latest completed step, then the models
 * tracked for it that the step did not score (rejected, or waiting for their evaluation delay).
 */
export function leaderboard(state: ValidatorState, competitionId: number): Leaderboard {
  const step = state.db.prepare(
    "SELECT id, block, seed, baseline FROM steps WHERE competition_id = ? AND status = 'done' ORDER BY id DESC LIMIT 1",
  ).get(competitionId) as Row | undefined;
  const scored = step
    ? (state.db.prepare(
      `SELECT uid, hotkey, repo, revision, commit_block, loss, task_losses, epsilon, win_rate, wins, weight, status, reason, explanation
       FROM evals WHERE step_id = ?`,
    ).all(step.id as number) as Row[])
    : [];
  const unscored = state.db.prepare(
    `SELECT uid, hotkey, repo, revision, commit_block, status, reason FROM models
     WHERE competition_id = ? AND status != 'ignored' AND hotkey NOT IN (SELECT hotkey FROM evals WHERE step_id = ?)`,
  ).all(competitionId, (step?.id as number | undefined) ?? -1) as Row[];
  const baseline = step?.baseline ? JSON.parse(step.baseline as string) : null;
  const base = baseline
    ? { repo: String(baseline.repo), revision: String(baseline.revision), loss: Number(baseline.loss) }
    : null;
  const rows: LeaderboardRow[] = [...scored, ...unscored].map((r) => ({
    uid: Number(r.uid),
    hotkey: r.hotkey as string,
    repo: r.repo as string,
    commit: r.revision as string,
    commitBlock: Number(r.commit_block),
    loss: num(r.loss),
    taskLosses: r.task_losses ? JSON.parse(r.task_losses as string) : {},
    epsilon: num(r.epsilon),
    winRate: num(r.win_rate),
    wins: num(r.wins),
    weight: num(r.weight),
    status: r.status as string,
    reason: (r.reason as string | null) ?? null,
    explanation: (r.explanation as string | null | undefined) ?? null,
    improvement: improvementOverBase(base?.loss, r.loss === null || r.loss === undefined ? null : Number(r.loss)),
  }));
  rows.sort((a, b) =>
    (b.weight ?? -1) - (a.weight ?? -1) || (a.loss ?? Infinity) - (b.loss ?? Infinity) || a.uid - b.uid
  );
  return {
    competitionId,
    step: step ? { id: Number(step.id), block: Number(step.block), seed: step.seed as string } : null,
    base,
    rows,
  };
}

/** One uid's evaluations over time (under its current hotkey), oldest first. */
export function uidHistory(state: ValidatorState, uid: number) {
  return (state.db.prepare(
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
    status: r.status as string,
  }));
}

/** Loss over time of every model of a competition from block `sinceBlock` on (for the chart). */
export function lossSeries(
  state: ValidatorState,
  competitionId: number,
  sinceBlock: number,
): { uid: number; repo: string; points: { block: number; loss: number }[] }[] {
  const rows = state.db.prepare(
    `SELECT e.uid, e.repo, s.block, e.loss FROM evals e JOIN steps s ON s.id = e.step_id
     WHERE s.competition_id = ? AND s.status = 'done' AND s.block >= ? AND e.loss IS NOT NULL
     ORDER BY e.uid, s.block`,
  ).all(competitionId, sinceBlock) as Row[];
  const series = new Map<number, { uid: number; repo: string; points: { block: number; loss: number }[] }>();
  for (const r of rows) {
    const uid = Number(r.uid);
    if (!series.has(uid)) series.set(uid, { uid, repo: r.repo as string, points: [] });
    const s = series.get(uid)!;
    s.repo = r.repo as string; // the latest repo names the line
    s.points.push({ block: Number(r.block), loss: Number(r.loss) });
  }
  return [...series.values()];
}

/** The latest `limit` manifests, newest first. */
export function latestManifests(state: ValidatorState, limit: number) {
  return (state.db.prepare(
    "SELECT id, block, competition_id, manifest FROM steps WHERE manifest IS NOT NULL ORDER BY id DESC LIMIT ?",
  ).all(limit) as Row[]).map((r) => ({
    stepId: Number(r.id),
    block: Number(r.block),
    competitionId: Number(r.competition_id),
    manifest: JSON.parse(r.manifest as string) as unknown,
  }));
}

/** Commitments the validator does not evaluate (malformed, or for a competition not in force). */
export function ignoredCommitments(state: ValidatorState) {
  return (state.db.prepare(
    "SELECT uid, hotkey, commit_block, commitment, reason FROM models WHERE status = 'ignored' ORDER BY uid",
  ).all() as Row[]).map((r) => ({
    uid: Number(r.uid),
    hotkey: r.hotkey as string,
    commitBlock: Number(r.commit_block),
    commitment: (r.commitment as string | null) ?? null,
    reason: (r.reason as string | null) ?? "",
  }));
}

/** The latest `limit` steps that did not complete (their data failed), newest first. */
export function failedSteps(state: ValidatorState, limit: number) {
  return (state.db.prepare(
    "SELECT id, block, competition_id, reason, started_ms FROM steps WHERE status = 'failed' ORDER BY id DESC LIMIT ?",
  ).all(limit) as Row[]).map((r) => ({
    stepId: Number(r.id),
    block: Number(r.block),
    competitionId: Number(r.competition_id),
    reason: (r.reason as string | null) ?? "",
    time: new Date(Number(r.started_ms)).toISOString(),
  }));
}

/** The competitions in force at the latest step's block (or block 0). */
export function competitionsInForce(state: ValidatorState, schedule: Schedule) {
  const r = state.db.prepare("SELECT block FROM steps ORDER BY id DESC LIMIT 1").get() as Row | undefined;
  const block = r ? Number(r.block) : 0;
  return { block, competitions: scheduleAt(schedule, block).competitions };
}
