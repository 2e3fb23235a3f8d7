/**
 * What the leaderboard shows, shaped from the rows the validator's state answers with
 * (`ValidatorState.queries`, src/validator/state_queries.ts): this file knows the API's shapes, the
 * state alone knows its tables. Every list is bounded by what it asks for (a competition, a uid, a
 * block window, an explicit limit), never by a hidden cap.
 */
import type { Schedule } from "../competitions/mod.ts";
import { scheduleAt } from "../competitions/mod.ts";
import { improvementOverBase } from "../scoring/mod.ts";
import type { OnChainNeuron, ScoredEvalRow, ValidatorState } from "../validator/mod.ts";

/**
 * One model's row in a competition's leaderboard: the state's scored row, with the revision named
 * `commit` as the API has always called it, and any model status (an unscored model's too).
 */
export interface LeaderboardRow extends Omit<ScoredEvalRow, "revision" | "status" | "explanation"> {
  commit: string;
  status: string;
  /** Why it earns what it earns (null for a model not in the step). */
  explanation: string | null;
  /** In an adapter competition: the base's loss minus this one's on the step's pages. */
  improvement: number | null;
  /** Why the evaluation budget has it in the next step or not (kept, pending, retried, waiting, given up). */
  next: string | null;
  /** What the chain's last epoch paid this uid, while it still holds this hotkey (null when unknown). */
  incentive: number | null;
  /** τ per epoch. */
  emission: number | null;
}

/** A competition's latest completed step and its rows, best first. */
export interface Leaderboard {
  competitionId: number;
  step: { id: number; block: number; seed: string } | null;
  /** In an adapter competition: the pinned base and its loss on the step's pages. */
  base: { repo: string; revision: string; loss: number } | null;
  /** The block of the metagraph the rows' incentive and emission come from. */
  onChainBlock: number | null;
  rows: LeaderboardRow[];
}

/**
 * The leaderboard of one competition: the rows of its latest completed step, then the models
 * tracked for it that the step did not score (rejected, or waiting for their evaluation delay).
 */
export function leaderboard(state: ValidatorState, competitionId: number): Leaderboard {
  const step = state.queries.latestDoneStep(competitionId);
  const scored = step ? state.queries.scoredIn(step.id) : [];
  const unscored = state.queries.unscoredModels(competitionId, step?.id).map((m) => ({
    ...m,
    loss: null,
    taskLosses: {},
    epsilon: null,
    winRate: null,
    wins: null,
    weight: null,
    explanation: null,
  }));
  const notes = state.budget.notes();
  const chain = state.onChain();
  const paid = new Map(chain?.neurons.map((n) => [`${n.uid} ${n.hotkey}`, n]));
  const baseline = step?.baseline;
  const base = baseline
    ? { repo: String(baseline.repo), revision: String(baseline.revision), loss: Number(baseline.loss) }
    : null;
  const rows: LeaderboardRow[] = [...scored, ...unscored].map((r) => ({
    uid: r.uid,
    hotkey: r.hotkey,
    repo: r.repo,
    commit: r.revision,
    commitBlock: r.commitBlock,
    loss: r.loss,
    taskLosses: r.taskLosses,
    epsilon: r.epsilon,
    winRate: r.winRate,
    wins: r.wins,
    weight: r.weight,
    status: r.status,
    reason: r.reason,
    explanation: r.explanation,
    improvement: improvementOverBase(base?.loss, r.loss),
    next: notes.get(r.hotkey) ?? null,
    ...onChain(paid.get(`${r.uid} ${r.hotkey}`)),
  }));
  rows.sort((a, b) =>
    (b.weight ?? -1) - (a.weight ?? -1) || (a.loss ?? Infinity) - (b.loss ?? Infinity) || a.uid - b.uid
  );
  return {
    competitionId,
    step: step ? { id: step.id, block: step.block, seed: step.seed } : null,
    base,
    onChainBlock: chain?.block ?? null,
    rows,
  };
}

function onChain(n: OnChainNeuron | undefined): { incentive: number | null; emission: number | null } {
  return n ? { incentive: n.incentive, emission: Number(n.emission) / 1e9 } : { incentive: null, emission: null };
}

/** One uid's evaluations over time (under its current hotkey), oldest first. */
export function uidHistory(state: ValidatorState, uid: number) {
  return state.queries.uidEvals(uid);
}

/** Loss over time of every model of a competition from block `sinceBlock` on (for the chart). */
export function lossSeries(
  state: ValidatorState,
  competitionId: number,
  sinceBlock: number,
): { uid: number; repo: string; points: { block: number; loss: number }[] }[] {
  const series = new Map<number, { uid: number; repo: string; points: { block: number; loss: number }[] }>();
  for (const p of state.queries.lossPoints(competitionId, sinceBlock)) {
    if (!series.has(p.uid)) series.set(p.uid, { uid: p.uid, repo: p.repo, points: [] });
    const s = series.get(p.uid)!;
    s.repo = p.repo; // the latest repo names the line
    s.points.push({ block: p.block, loss: p.loss });
  }
  return [...series.values()];
}

/** The latest `limit` manifests, newest first. */
export function latestManifests(state: ValidatorState, limit: number) {
  return state.queries.manifests(limit);
}

/** Commitments the validator does not evaluate (malformed, or for a competition not in force). */
export function ignoredCommitments(state: ValidatorState) {
  return state.queries.ignoredCommitments().map((r) => ({ ...r, reason: r.reason ?? "" }));
}

/** The latest `limit` steps that did not complete (their data or base failed), newest first. */
export function failedSteps(state: ValidatorState, limit: number) {
  return state.queries.failedSteps(limit).map(({ startedMs, ...r }) => ({
    ...r,
    reason: r.reason ?? "",
    time: new Date(startedMs).toISOString(),
  }));
}

/** The competitions in force at the latest step's block (or block 0). */
export function competitionsInForce(state: ValidatorState, schedule: Schedule) {
  const block = state.queries.latestStepBlock() ?? 0;
  return { block, competitions: scheduleAt(schedule, block).competitions };
}
