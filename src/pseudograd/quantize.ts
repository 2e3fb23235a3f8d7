/**
 * Templar's value quantisation (docs/pseudograd.md, "Quantisation"; `compress.py` `_quantize_values`), over all of
 * one parameter's kept values at once: shift = their mean, centred c = v − shift,
 * std = ‖c‖₂ / √(n − 1), scale = range·std / bins (1 when that is 0 or not finite), code =
 * clamp(round-half-even(c/scale + bins//2), 0, bins − 1), and lookup[b] = the mean of the c with
 * code b (0 for an empty bin). Decoding uses only lookup and shift: v ≈ lookup[code] + shift.
 * Arithmetic is float32, as the reference's value dtype.
 */
import { roundHalfEven } from "../scoring/mod.ts";

/** One parameter's quantised values. */
export interface Quantized {
  codes: Uint8Array;
  lookup: Float32Array;
  shift: number;
  /** Not needed to decode; Templar's gather checks 1e-12 < |scale| ≤ 1e4. */
  scale: number;
}

/** Quantises `vals` into `bins` codes over `range` standard deviations. */
export function quantize(vals: Float32Array, bins: number, range: number): Quantized {
  const f = Math.fround;
  const n = vals.length;
  let sum = 0;
  for (const v of vals) sum += v;
  const shift = f(sum / n);
  const centred = vals.map((v) => f(v - shift));
  let squares = 0;
  for (const c of centred) squares += c * c;
  const std = f(f(Math.sqrt(squares)) / Math.sqrt(n - 1));
  let scale = f((range * std) / bins);
  if (scale === 0 || !Number.isFinite(scale)) scale = 1;
  const offset = Math.floor(bins / 2);
  const codes = new Uint8Array(n);
  const sums = new Float64Array(bins), counts = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const code = Math.min(bins - 1, Math.max(0, roundHalfEven(f(f(centred[i] / scale) + offset))));
    codes[i] = code;
    sums[code] += centred[i];
    counts[code]++;
  }
  const lookup = new Float32Array(bins).map((_, b) => (counts[b] > 0 ? sums[b] / counts[b] : 0));
  return { codes, lookup, shift, scale };
}

/** The values the codes stand for: lookup[code] + shift, in float32. */
export function dequantize(codes: Uint8Array, lookup: Float32Array, shift: number): Float32Array {
  return Float32Array.from(codes, (code) => lookup[code] + shift);
}
