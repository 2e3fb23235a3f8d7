/**
 * Weights shaped to a subnet's rules before they go on chain, as the bittensor SDK does
 * (`bittensor/utils/weight_utils.py`: `process_weights` with exclude_quantile 0, then
 * `normalize_max_weight`), so the chain never refuses them for shape:
 * - no non-zero weight, or a subnet smaller than MinAllowedWeights: every uid gets 1/n;
 * - fewer non-zero weights than MinAllowedWeights: every uid gets 1e-5 plus its weight, then the
 *   max-weight normalisation (so at least MinAllowedWeights uids carry weight);
 * - otherwise the non-zero weights, max-weight normalised.
 * `normalize_max_weight` caps each share at the limit, spreading the excess, exactly as the SDK
 * computes it (its ε = 1e-7 included). The u16 encoding after it is `toU16Weights`.
 */

/** The subnet facts the shaping needs. */
export interface WeightRules {
  /** Neurons on the subnet (uids 0..n−1). */
  n: number;
  minAllowedWeights: number;
  /** MaxWeightsLimit as a u16 (65535 = 1, no limit). */
  maxWeightLimit: number;
}

/** Shapes uid → weight (uids outside 0..n−1 are ignored) into uid → normalised weight. */
export function processWeights(weights: ReadonlyMap<number, number>, rules: WeightRules): Map<number, number> {
  const n = rules.n, limit = rules.maxWeightLimit / 65535;
  const full = Array.from({ length: n }, (_, uid) => Math.max(0, weights.get(uid) ?? 0));
  const nonZero = full.flatMap((w, uid) => (w > 0 ? [uid] : []));
  if (n === 0) return new Map();
  if (nonZero.length === 0 || n < rules.minAllowedWeights) {
    return new Map(full.map((_, uid) => [uid, 1 / n]));
  }
  if (nonZero.length < rules.minAllowedWeights) {
    const padded = full.map((w) => 1e-5 + w);
    const normalized = normalizeMaxWeight(padded, limit);
    return new Map(normalized.map((w, uid) => [uid, w]));
  }
  const normalized = normalizeMaxWeight(nonZero.map((uid) => full[uid]), limit);
  return new Map(nonZero.map((uid, i) => [uid, normalized[i]]));
}

/** The SDK's `normalize_max_weight`: sum 1, no entry above `limit` (ties of the cut share the excess). */
export function normalizeMaxWeight(x: readonly number[], limit: number): number[] {
  const epsilon = 1e-7;
  const total = x.reduce((a, b) => a + b, 0);
  if (total === 0 || x.length * limit <= 1) return x.map(() => 1 / x.length);
  const values = [...x].sort((a, b) => a - b);
  const estimation = values.map((v) => v / total);
  if (Math.max(...estimation) <= limit) return x.map((w) => w / total);
  const cumsum: number[] = [];
  estimation.reduce((s, e, i) => (cumsum[i] = s + e), 0);
  const estimationSum = estimation.map((e, i) => (values.length - i - 1) * e);
  const nValues = estimation.filter((e, i) => e / (estimationSum[i] + cumsum[i] + epsilon) < limit).length;
  const cutoffScale = (limit * cumsum[nValues - 1] - epsilon) / (1 - limit * (estimation.length - nValues));
  const cutoff = cutoffScale * total;
  const capped = x.map((w) => (w > cutoff ? cutoff : w));
  const sum = capped.reduce((a, b) => a + b, 0);
  return capped.map((w) => w / sum);
}
