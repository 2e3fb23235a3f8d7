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

/** The k largest-magnitude positions and values of each chunk of `chunked` (`[chunks, totalk]`), largest first. */
export function topkPerChunk(
  chunked: Float32Array,
  totalk: number,
  k: number,
): { idx: Uint16Array; vals: Float32Array } {
  const chunks = chunked.length / totalk;
  const idx = new Uint16Array(chunks * k), vals = new Float32Array(chunks * k);
  // A min-heap of the k best so far under "larger magnitude, then lower position": O(totalk·log k)
  // a chunk rather than a sort of the whole chunk. The root is the worst of the kept.
  const heap = new Int32Array(k);
  for (let c = 0; c < chunks; c++) {
    const base = c * totalk;
    const mag = (i: number) => Math.abs(chunked[base + i]);
    /** Whether position a ranks below position b. */
    const below = (a: number, b: number) => {
      const ma = mag(a), mb = mag(b);
      return ma < mb || (ma === mb && a > b);
    };
    const siftDown = (size: number) => {
      for (let i = 0;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < size && below(heap[l], heap[m])) m = l;
        if (r < size && below(heap[r], heap[m])) m = r;
        if (m === i) return;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    };
    for (let i = 0; i < k; i++) {
      heap[i] = i;
      for (let j = i; j > 0;) {
        const parent = (j - 1) >> 1;
        if (!below(heap[j], heap[parent])) break;
        [heap[j], heap[parent]] = [heap[parent], heap[j]];
        j = parent;
      }
    }
    for (let i = k; i < totalk; i++) {
      if (below(heap[0], i)) {
        heap[0] = i;
        siftDown(k);
      }
    }
    // Out of the heap worst first, so the chunk's entries are written best first.
    for (let size = k; size > 0; size--) {
      const worst = heap[0];
      idx[c * k + size - 1] = worst;
      vals[c * k + size - 1] = chunked[base + worst];
      heap[0] = heap[size - 1];
      siftDown(size - 1);
    }
  }
  return { idx, vals };
}
