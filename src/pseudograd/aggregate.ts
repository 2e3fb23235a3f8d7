/**
 * Decompression and aggregation (docs/pseudograd.md, "Decoding and the aggregate"; Templar `compress.py` `decompress` and
 * `batch_decompress`). One peer: every chunk starts at zero and each kept slot scatters its
 * value with a mean over the slots that name the same position (`scatter_reduce(mean,
 * include_self=False)`). Many peers: each peer's values are scaled by min(1, median/(‖v‖ + 1e-8))
 * with the lower median of the peers' norms, then every (peer, slot) entry is scattered together
 * with the same mean, so a position becomes the mean of the entries that sent it, not a division
 * by the peer count. Sums are float64, peers in the order given.
 */

/** One peer's contribution to one parameter: positions within chunks and dequantised values, `[chunks, k]`. */
export interface SparseUpdate {
  idx: Uint16Array;
  vals: Float32Array;
  k: number;
}

/** The dense `[chunks, totalk]` values of `updates` scattered with a mean, each scaled by its factor. */
export function scatterMean(
  updates: readonly SparseUpdate[],
  { chunks, totalk }: { chunks: number; totalk: number },
  factors: readonly number[] = updates.map(() => 1),
): Float64Array {
  const sums = new Float64Array(chunks * totalk), counts = new Uint32Array(chunks * totalk);
  updates.forEach((u, p) => {
    for (let c = 0; c < chunks; c++) {
      for (let j = 0; j < u.k; j++) {
        const slot = c * u.k + j, at = c * totalk + u.idx[slot];
        sums[at] += Math.fround(u.vals[slot] * factors[p]);
        counts[at]++;
      }
    }
  });
  for (let i = 0; i < sums.length; i++) if (counts[i] > 1) sums[i] /= counts[i];
  return sums;
}

/** The L2 norm of a peer's values. */
export function updateNorm(u: SparseUpdate): number {
  let s = 0;
  for (const v of u.vals) s += v * v;
  return Math.sqrt(s);
}

/** The lower middle value (torch.median): the ⌊(n − 1)/2⌋-th smallest. */
export function lowerMedian(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("the median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Each peer's clip factor: min(1, median/(‖v‖ + 1e-8)). */
export function clipFactors(updates: readonly SparseUpdate[]): number[] {
  const norms = updates.map(updateNorm);
  const median = lowerMedian(norms);
  return norms.map((n) => Math.min(1, median / (n + 1e-8)));
}

/** The peers' aggregate for one parameter, `[chunks, totalk]`, and the factor each was clipped by. */
export function aggregateUpdates(
  updates: readonly SparseUpdate[],
  chunks: number,
  totalk: number,
): { dense: Float64Array; factors: number[] } {
  const factors = clipFactors(updates);
  return { dense: scatterMean(updates, { chunks, totalk }, factors), factors };
}
