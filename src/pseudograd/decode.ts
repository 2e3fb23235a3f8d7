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
  return fromChunks(scatterMean([decodeParameter(p, w)], p.geometry.chunks, p.geometry.totalk), p.geometry);
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
