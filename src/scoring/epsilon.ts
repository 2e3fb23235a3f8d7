/**
 * The time advantage of an older model: epsilon decays linearly from `start` to `end` over
 * `decayBlocks` blocks after the model's commit block (SN9's LinearDecay).
 *
 *   epsilon(cur, b) = start − min(max(cur − b, 0) / decayBlocks, 1) · (start − end)
 */

/** Parameters of the linear decay. */
export interface EpsilonDecay {
  start: number;
  end: number;
  decayBlocks: number;
}

/** Epsilon at block `current` for a model committed at block `committed`. */
export function epsilonAt(decay: EpsilonDecay, current: number, committed: number): number {
  const progress = Math.min(Math.max(current - committed, 0) / decay.decayBlocks, 1);
  return decay.start - progress * (decay.start - decay.end);
}
