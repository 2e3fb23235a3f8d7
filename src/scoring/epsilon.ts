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

/** Checks a decay read from a file: 0 ≤ end ≤ start < 1 and a positive integer `decayBlocks`. */
export function checkEpsilonDecay(e: unknown, where: string): EpsilonDecay {
  const d = e as EpsilonDecay;
  if (
    typeof e !== "object" || e === null || typeof d.start !== "number" || typeof d.end !== "number" ||
    !(d.end >= 0 && d.end <= d.start && d.start < 1) || !(Number.isSafeInteger(d.decayBlocks) && d.decayBlocks > 0)
  ) {
    throw new RangeError(
      `${where} must have 0 ≤ end ≤ start < 1 and a positive integer decayBlocks, got ${
        JSON.stringify(e)?.slice(0, 120)
      }`,
    );
  }
  return d;
}

/** Epsilon at block `current` for a model committed at block `committed`. */
export function epsilonAt(decay: EpsilonDecay, current: number, committed: number): number {
  const progress = Math.min(Math.max(current - committed, 0) / decay.decayBlocks, 1);
  return decay.start - progress * (decay.start - decay.end);
}
