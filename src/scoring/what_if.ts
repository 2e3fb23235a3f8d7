/** Questions a miner asks before committing, answered with the same rules the validator uses. */
import { epsilonAt, type EpsilonDecay } from "./epsilon.ts";
import type { ScoredModel } from "./models.ts";

/**
 * The loss below which a model committed at `block` (newer than every model given) beats each of
 * them today: each older model's loss is discounted by its current epsilon, and the newcomer must
 * be strictly below the smallest discounted loss. Infinity when no model has a finite loss.
 */
export function lossToBeat(models: readonly ScoredModel[], decay: EpsilonDecay, block: number): number {
  let best = Infinity;
  for (const m of models) {
    if (Number.isFinite(m.loss)) best = Math.min(best, m.loss * (1 - epsilonAt(decay, block, m.block)));
  }
  return best;
}
