/**
 * Pairwise wins (SN9's iswin / compute_wins). In each pair, the model committed at the strictly
 * earlier block has its loss multiplied by (1 − epsilon(current, its block)); a win is a strictly
 * lower adjusted loss, so equal adjusted losses are a win for neither.
 * win_rate = wins / (n − 1), and 1 for a model alone.
 */
import { epsilonAt, type EpsilonDecay } from "./epsilon.ts";
import { canonicalOrder, type ScoredModel } from "./models.ts";

/** The epsilon decay and the block that pairwise wins are counted at. */
export interface WinsAt {
  decay: EpsilonDecay;
  block: number;
}

/** Wins and win rate of one model. */
export interface WinRecord {
  uid: number;
  wins: number;
  winRate: number;
}

/** Whether `a` beats `b` at block `at.block`. */
export function beats(a: ScoredModel, b: ScoredModel, at: WinsAt): boolean {
  const { decay, block: current } = at;
  const lossA = a.block < b.block ? a.loss * (1 - epsilonAt(decay, current, a.block)) : a.loss;
  const lossB = b.block < a.block ? b.loss * (1 - epsilonAt(decay, current, b.block)) : b.loss;
  return lossA < lossB;
}

/** Wins of every model against every other, by ascending uid. */
export function computeWins(models: readonly ScoredModel[], at: WinsAt): WinRecord[] {
  const ordered = canonicalOrder(models);
  return ordered.map((a) => {
    const wins = ordered.filter((b) => b !== a && beats(a, b, at)).length;
    return { uid: a.uid, wins, winRate: ordered.length > 1 ? wins / (ordered.length - 1) : 1 };
  });
}
