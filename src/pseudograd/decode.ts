/**
 * From wire tensors back to weight space: one parameter of one submission as the sparse update the
 * aggregate scatters, and any set of them as the dense row-major update of the parameter (the
 * inverse chunking applied to the scatter-mean; docs/pseudograd.md, "Chunking" and "Decoding and
 * the aggregate").
 */
import { aggregateUpdates, lowerMedian, scatterMean, type SparseUpdate, updateNorm } from "./aggregate.ts";
import { fromChunks } from "./chunking.ts";
import { sparseUpdate } from "./codec.ts";
import type { ParameterLayout } from "./layout.ts";
import type { WireParameter } from "./submission.ts";

/** One parameter of one submission as positions and dequantised values. */
export function decodeParameter(p: ParameterLayout, w: WireParameter): SparseUpdate {
  return sparseUpdate({ ...w, k: p.k });
}

/** One submission's dense update of a parameter, row-major in the parameter's shape. */
export function denseUpdate(p: ParameterLayout, w: WireParameter): Float64Array {
  return fromChunks(scatterMean([decodeParameter(p, w)], p.geometry), p.geometry);
}

/**
 * The row-major offset of each kept slot of a parameter (chunk after chunk, `k` slots each), the
 * inverse chunking applied to one position: in chunk (y, x) of a 2-D parameter [R, C], position p
 * is element (y·n1 + p // n2, x·n2 + p % n2); in chunk x of a 1-D one, element x·n1 + p.
 */
export function slotOffsets(p: ParameterLayout, idx: Uint16Array): Uint32Array {
  const g = p.geometry, out = new Uint32Array(idx.length);
  if (g.shape.length === 1) {
    for (let s = 0; s < idx.length; s++) out[s] = Math.floor(s / p.k) * g.edges[0] + idx[s];
    return out;
  }
  const [n1, n2] = g.edges, C = g.shape[1], X = g.grid[1];
  for (let s = 0; s < idx.length; s++) {
    const chunk = Math.floor(s / p.k), pos = idx[s];
    out[s] = (Math.floor(chunk / X) * n1 + Math.floor(pos / n2)) * C + (chunk % X) * n2 + (pos % n2);
  }
  return out;
}

/**
 * The kept slots of θ − scale·factor·decode(w): each slot's row-major position and its value,
 * rounded to float32 once. What a session replaces (peer_model.ts) and what `subtractSparse` writes.
 */
export function sparseValues(
  theta: Float32Array,
  p: ParameterLayout,
  w: WireParameter,
  { scale, factor = 1 }: { scale: number; factor?: number },
): { at: Uint32Array; values: Float32Array } {
  const u = decodeParameter(p, w);
  const at = slotOffsets(p, u.idx), values = new Float32Array(at.length);
  for (let s = 0; s < at.length; s++) values[s] = theta[at[s]] - scale * (factor * u.vals[s]);
  return { at, values };
}

/**
 * θ ← θ − scale·factor·decode(w) in place, touching only the kept slots: what `denseUpdate` and a
 * dense subtraction give, bit for bit, since a valid file names each position of a chunk once.
 */
export function subtractSparse(
  theta: Float32Array,
  p: ParameterLayout,
  w: WireParameter,
  o: { scale: number; factor?: number },
): void {
  const { at, values } = sparseValues(theta, p, w, o);
  for (let s = 0; s < at.length; s++) theta[at[s]] = values[s];
}

/** Several submissions' clipped aggregate of a parameter, row-major, with each peer's clip factor and the clip norm. */
export function aggregateParameter(
  p: ParameterLayout,
  peers: readonly WireParameter[],
): { dense: Float64Array; factors: number[]; clipNorm: number } {
  const updates = peers.map((w) => decodeParameter(p, w));
  const { dense, factors } = aggregateUpdates(updates, p.geometry.chunks, p.geometry.totalk);
  return { dense: fromChunks(dense, p.geometry), factors, clipNorm: lowerMedian(updates.map(updateNorm)) };
}
