/**
 * One competition's step, from losses to step weights: drop failed models, adapters that do not
 * beat their base, and non-competitive models, count pairwise wins among the rest, softmax the
 * win rates. Every model comes back with the
 * numbers a leaderboard or a miner needs.
 */
import { competitiveUids } from "./competitive.ts";
import { epsilonAt, type EpsilonDecay } from "./epsilon.ts";
import { canonicalOrder, type ScoredModel } from "./models.ts";
import { softmaxWeights } from "./weights.ts";
import { computeWins, type WinsAt } from "./wins.ts";

/**
 * In an adapter competition, the base's loss on the same pages. The base counts as the earliest
 * commitment, made at `block` (its schedule entry's start): an adapter takes part only if its loss
 * is below the base's discounted by the base's epsilon, as any later model must beat an earlier one.
 */
export interface Baseline {
  loss: number;
  block: number;
}

/**
 * What a step is scored under: the competition's epsilon decay, the block it is scored at, and in
 * an adapter competition the base's loss on the step's pages.
 */
export interface ScoringAt extends WinsAt {
  baseline?: Baseline;
}

/** The loss an adapter must beat: the base's, discounted by the base's epsilon at `current`. */
export function baselineBar(baseline: Baseline, decay: EpsilonDecay, current: number): number {
  return baseline.loss * (1 - epsilonAt(decay, current, baseline.block));
}

/**
 * How far a loss is below the base's: positive when the model does better than the base, null
 * when either loss is unknown. Leaderboards, logs and the miner's verdict all show this figure.
 */
export function improvementOverBase(
  baseLoss: number | null | undefined,
  loss: number | null | undefined,
): number | null {
  return baseLoss === null || baseLoss === undefined || loss === null || loss === undefined ? null : baseLoss - loss;
}

/** The outcome for one model. */
export interface ModelOutcome extends ScoredModel {
  /** Why it took no part in the win count, if it did not. */
  excluded?: "failed" | "not-competitive" | "no-improvement";
  /** Its epsilon at this block: the loss discount it gets against any newer model. */
  epsilon: number;
  wins: number;
  winRate: number;
  weight: number;
}

/** Scores one competition's models at block `at.block`; outcomes by ascending uid. */
export function scoreCompetition(models: readonly ScoredModel[], at: ScoringAt): ModelOutcome[] {
  const { decay, block: current, baseline } = at;
  const ordered = canonicalOrder(models);
  const bar = baseline ? baselineBar(baseline, decay, current) : Infinity;
  const improving = (m: ScoredModel) => Number.isFinite(m.loss) && m.loss < bar;
  const keep = new Set(competitiveUids(ordered.filter(improving), decay));
  const contenders = ordered.filter((m) => keep.has(m.uid));
  const wins = new Map(computeWins(contenders, at).map((w) => [w.uid, w]));
  const weights = softmaxWeights(new Map([...wins].map(([uid, w]) => [uid, w.winRate])));
  return ordered.map((m) => ({
    ...m,
    excluded: keep.has(m.uid)
      ? undefined
      : !Number.isFinite(m.loss)
      ? "failed"
      : improving(m)
      ? "not-competitive"
      : "no-improvement",
    epsilon: epsilonAt(decay, current, m.block),
    wins: wins.get(m.uid)?.wins ?? 0,
    winRate: wins.get(m.uid)?.winRate ?? 0,
    weight: weights.get(m.uid) ?? 0,
  }));
}
