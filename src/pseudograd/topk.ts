/**
 * Top-k per chunk (docs/pseudograd.md, "Top-k"; Templar `compress.py` `clamp_topk` and `torch.topk(|x|, k)`):
 * `k = min(topk, totalk)`, at least 2, rounded down to even. Which k entries a chunk keeps is the
 * k largest magnitudes; their order within the chunk does not matter, because decoding scatters.
 * This encoder breaks ties by the lower position, so it is deterministic.
 */

/** Templar's `clamp_topk`. Throws `RangeError` when the chunk is too small to hold k entries. */
export function clampTopk(topk: number, totalk: number): number {
  let k = Math.max(Math.min(topk, totalk), 2);
  k -= k % 2;
  if (k > totalk) throw new RangeError(`a chunk of ${totalk} element${totalk === 1 ? "" : "s"} cannot hold top-${k}`);
  return k;
}

/** The k largest-magnitude positions and values of each chunk of `chunked` (`[chunks, totalk]`). */
export function topkPerChunk(
  chunked: Float32Array,
  totalk: number,
  k: number,
): { idx: Uint16Array; vals: Float32Array } {
  const chunks = chunked.length / totalk;
  const idx = new Uint16Array(chunks * k), vals = new Float32Array(chunks * k);
  const order = Array.from({ length: totalk }, (_, i) => i);
  for (let c = 0; c < chunks; c++) {
    const base = c * totalk;
    order.sort((a, b) => Math.abs(chunked[base + b]) - Math.abs(chunked[base + a]) || a - b);
    for (let j = 0; j < k; j++) {
      idx[c * k + j] = order[j];
      vals[c * k + j] = chunked[base + order[j]];
    }
    order.sort((a, b) => a - b);
  }
  return { idx, vals };
}
