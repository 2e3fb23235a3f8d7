/**
 * What the leaderboard shows, read from the validator's state (read-only, safe while the
 * validator writes: SQLite WAL readers never block the writer).
 */
import type { Schedule } from "../competitions/mod.ts";
import { scheduleAt } from "../competitions/mod.ts";
import type { EvalRecord, ValidatorState } from "../validator/mod.ts";

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
}

/** A competition's latest completed step and its rows, best first. */
export interface Leaderboard {
  competitionId: number;
  step: { id: number; block: number; seed: string } | null;
  rows: LeaderboardRow[];
}

/** The leaderboard of one competition. */
export function leaderboard(state: ValidatorState, competitionId: number): Leaderboard {
  const step = state.steps(1000).find((s) => s.competitionId === competitionId && s.status === "done");
  const rows: LeaderboardRow[] = step ? state.evals(step.id).map(toRow) : [];
  const evaluated = new Set(rows.map((r) => r.hotkey));
  // Tracked models not in that step (rejected, or waiting for their evaluation delay).
  for (const m of state.models()) {
    if (m.competitionId !== competitionId || evaluated.has(m.hotkey)) continue;
    rows.push({
      uid: m.uid,
      hotkey: m.hotkey,
      repo: m.repo,
      commit: m.revision,
      commitBlock: m.commitBlock,
      loss: null,
      taskLosses: {},
      epsilon: null,
      winRate: null,
      wins: null,
      weight: null,
      status: m.status,
      reason: m.reason,
    });
  }
  rows.sort((a, b) =>
    (b.weight ?? -1) - (a.weight ?? -1) || (a.loss ?? Infinity) - (b.loss ?? Infinity) || a.uid - b.uid
  );
  return { competitionId, step: step ? { id: step.id, block: step.block, seed: step.seed } : null, rows };
}

function toRow(e: EvalRecord): LeaderboardRow {
  return {
    uid: e.uid,
    hotkey: e.hotkey,
    repo: e.repo,
    commit: e.revision,
    commitBlock: e.commitBlock,
    loss: e.loss,
    taskLosses: e.taskLosses,
    epsilon: e.epsilon ?? null,
    winRate: e.winRate ?? null,
    wins: e.wins ?? null,
    weight: e.weight ?? null,
    status: e.status,
    reason: e.reason,
  };
}

/** One uid's evaluations over time. */
export function uidHistory(
  state: ValidatorState,
  uid: number,
): {
  stepId: number;
  block: number;
  competitionId: number;
  loss: number | null;
  winRate: number | null;
  weight: number | null;
  status: string;
}[] {
  const model = state.models().find((m) => m.uid === uid);
  if (!model) return [];
  const blocks = new Map(state.steps(100_000).map((s) => [s.id, s.block]));
  return state.history(model.hotkey).map((e) => ({
    stepId: e.stepId,
    block: blocks.get(e.stepId) ?? 0,
    competitionId: e.competitionId,
    loss: e.loss,
    winRate: e.winRate ?? null,
    weight: e.weight ?? null,
    status: e.status,
  }));
}

/** Loss over time of every model of a competition (for the chart). */
export function lossSeries(
  state: ValidatorState,
  competitionId: number,
): { uid: number; points: { block: number; loss: number }[] }[] {
  const steps = state.steps(100_000).filter((s) => s.competitionId === competitionId && s.status === "done").reverse();
  const series = new Map<number, { block: number; loss: number }[]>();
  for (const s of steps) {
    for (const e of state.evals(s.id)) {
      if (e.loss === null) continue;
      if (!series.has(e.uid)) series.set(e.uid, []);
      series.get(e.uid)!.push({ block: s.block, loss: e.loss });
    }
  }
  return [...series].sort(([a], [b]) => a - b).map(([uid, points]) => ({ uid, points }));
}

/** The latest manifests, newest first. */
export function latestManifests(
  state: ValidatorState,
  limit: number,
): { stepId: number; block: number; competitionId: number; manifest: unknown }[] {
  return state.steps(limit).map((s) => ({
    stepId: s.id,
    block: s.block,
    competitionId: s.competitionId,
    manifest: s.manifest,
  }));
}

/** The competitions in force at the latest step's block (or block 0). */
export function competitionsInForce(state: ValidatorState, schedule: Schedule) {
  const block = state.steps(1)[0]?.block ?? 0;
  return { block, competitions: scheduleAt(schedule, block).competitions };
}
