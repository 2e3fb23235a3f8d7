/** From win rates to weights: a sharp softmax, and the chain's u16 encoding. */

/** SN9's softmax temperature: a 1% win-rate lead multiplies the weight by e. */
export const WEIGHT_TEMPERATURE = 0.01;

/** softmax(winRate / temperature) over the given uids (max-subtracted for stability). */
export function softmaxWeights(
  winRates: ReadonlyMap<number, number>,
  temperature = WEIGHT_TEMPERATURE,
): Map<number, number> {
  const entries = [...winRates].sort(([a], [b]) => a - b);
  if (entries.length === 0) return new Map();
  const max = Math.max(...entries.map(([, r]) => r));
  const exps = entries.map(([uid, r]) => [uid, Math.exp((r - max) / temperature)] as const);
  const sum = exps.reduce((s, [, e]) => s + e, 0);
  return new Map(exps.map(([uid, e]) => [uid, e / sum]));
}

/** Weights as the chain takes them: parallel uid and u16 arrays, ascending uid, no zeros. */
export interface U16Weights {
  uids: number[];
  weights: number[];
}

export const U16_MAX = 65535;

/**
 * Divides by the largest weight, scales to 65535 and rounds half to even (Python's `round`, as
 * the Bittensor SDK does), dropping zeros. Empty or all-zero input gives empty arrays.
 */
export function toU16Weights(weights: ReadonlyMap<number, number>): U16Weights {
  const entries = [...weights].sort(([a], [b]) => a - b);
  for (const [uid, w] of entries) {
    if (!Number.isFinite(w) || w < 0) {
      throw new RangeError(`uid ${uid}: weight ${w} is not a finite non-negative number`);
    }
    if (!Number.isInteger(uid) || uid < 0 || uid > U16_MAX) throw new RangeError(`uid ${uid} is not a u16`);
  }
  const max = Math.max(0, ...entries.map(([, w]) => w));
  const out: U16Weights = { uids: [], weights: [] };
  if (max === 0) return out;
  for (const [uid, w] of entries) {
    const v = roundHalfEven((w / max) * U16_MAX);
    if (v !== 0) {
      out.uids.push(uid);
      out.weights.push(v);
    }
  }
  return out;
}

/** Rounds to the nearest integer, ties to the even one. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x), d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
