/**
 * One parameter's pseudo-gradient, compressed as Templar does with the DCT off (docs/pseudograd.md):
 * chunk, keep the top k per chunk, pack their positions in 12 bits and quantise their values;
 * and back, to the sparse update the aggregate scatters.
 */
import { type ChunkGeometry, chunkGeometry, toChunks } from "./chunking.ts";
import { pack12, unpack12 } from "./pack12.ts";
import { dequantize, quantize } from "./quantize.ts";
import type { SparseUpdate } from "./aggregate.ts";
import { clampTopk, topkPerChunk } from "./topk.ts";

/** The codec's parameters, as a competition pins them (Templar HEAD: 64, 64, 4, 6). */
export interface CodecSettings {
  chunk: number;
  topk: number;
  bins: number;
  range: number;
}

export const TEMPLAR_CODEC: CodecSettings = { chunk: 64, topk: 64, bins: 4, range: 6 };

/** One parameter on the wire: the tensors `P.idxs`, `P.vals`, `P.lookup`, `P.shift`. */
export interface CompressedParameter {
  geometry: ChunkGeometry;
  k: number;
  /** 12-bit packed positions, `3·chunks·k/2` bytes. */
  idxs: Uint8Array;
  /** One code per kept value, `[Y, X, k]` or `[X, k]`. */
  codes: Uint8Array;
  lookup: Float32Array;
  shift: number;
  scale: number;
}

/** Compresses a parameter's dense values (row-major, of `shape`). */
export function compressParameter(
  values: ArrayLike<number>,
  shape: readonly number[],
  s: CodecSettings,
): CompressedParameter {
  const geometry = chunkGeometry(shape, s.chunk);
  const k = clampTopk(s.topk, geometry.totalk);
  const { idx, vals } = topkPerChunk(toChunks(values, geometry), geometry.totalk, k);
  const q = quantize(vals, s.bins, s.range);
  return { geometry, k, idxs: pack12(idx), codes: q.codes, lookup: q.lookup, shift: q.shift, scale: q.scale };
}

/** The sparse update a compressed parameter stands for. */
export function sparseUpdate(p: Pick<CompressedParameter, "idxs" | "codes" | "lookup" | "shift" | "k">): SparseUpdate {
  return { idx: unpack12(p.idxs, p.codes.length), vals: dequantize(p.codes, p.lookup, p.shift), k: p.k };
}
