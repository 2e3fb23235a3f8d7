/** Questions a miner asks before committing, answered with the same rules the validator uses. */
import { competitiveUids } from "./competitive.ts";
import { epsilonAt, type EpsilonDecay } from "./epsilon.ts";
import type { ScoredModel } from "./models.ts";

/** The loss a newcomer must get under, and the model (with its epsilon today) that sets it. */
export interface Bar {
  loss: number;
  /** Null when no model has a finite loss (the bar is then Infinity). */
  setBy: ScoredModel | null;
  epsilon: number;
}

/**
 * The bar a model committed at `block` (newer than every model given) must get under to beat
 * each of them today: each competing older model's loss discounted by its current epsilon, the
 * smallest of them. Models that are not competitive (a later copy of an earlier one, say) take no
 * part in the win count (competitive.ts), so they set no bar, however large their epsilon.
 */
export function barToBeat(models: readonly ScoredModel[], decay: EpsilonDecay, block: number): Bar {
  const competing = new Set(competitiveUids(models, decay));
  let bar: Bar = { loss: Infinity, setBy: null, epsilon: 0 };
  for (const m of models) {
    if (!competing.has(m.uid)) continue;
    const epsilon = epsilonAt(decay, block, m.block);
    const loss = m.loss * (1 - epsilon);
    if (loss < bar.loss) bar = { loss, setBy: m, epsilon };
  }
  return bar;
}

/** The bar's loss alone (Infinity when no model has a finite loss). */
export function lossToBeat(models: readonly ScoredModel[], decay: EpsilonDecay, block: number): number {
  return barToBeat(models, decay, block).loss;
}
