/**
 * The normalisations the architectures share, over the last axis, parameters by state-dict prefix:
 * LayerNorm with `{prefix}.weight` and `{prefix}.bias`, and RMSNorm with a scale `{name}`
 * (Gemma's (1 + w) form when `plusOne`).
 */
import type { GraphBuilder } from "../onnx/mod.ts";
import type { WeightSource } from "./spec.ts";

/** Returns `layerNorm(x, prefix)`. */
export function layerNorms(g: GraphBuilder, w: WeightSource, eps: number): (x: string, prefix: string) => string {
  return (x, prefix) =>
    g.op("LayerNormalization", [x, w(prefix + ".weight"), w(prefix + ".bias")], { axis: -1, epsilon: { float: eps } });
}

/** Returns `rmsNorm(x, name)`; with `plusOne` the scale is 1 + w (folded as a constant at load). */
export function rmsNorms(
  g: GraphBuilder,
  w: WeightSource,
  eps: number,
  plusOne = false,
): (x: string, name: string) => string {
  const one = plusOne ? g.f32(new Float32Array([1]), []) : undefined;
  return (x, name) =>
    g.op("RMSNormalization", [x, one ? g.op("Add", [w(name), one]) : w(name)], { axis: -1, epsilon: { float: eps } });
}
