/**
 * The normalisations the architectures share, over the last axis, parameters by state-dict prefix:
 * LayerNorm with `{prefix}.weight` and `{prefix}.bias`, and RMSNorm with a scale `{name}`
 * (Gemma's (1 + w) form when `plusOne`).
 */
import { DataType, type GraphBuilder } from "../onnx/mod.ts";
import type { WeightSource } from "./spec.ts";

/** Returns `layerNorm(x, prefix)`. */
export function layerNorms(g: GraphBuilder, w: WeightSource, eps: number): (x: string, prefix: string) => string {
  return (x, prefix) =>
    g.op("LayerNormalization", [x, w(prefix + ".weight"), w(prefix + ".bias")], { axis: -1, epsilon: { float: eps } });
}

/**
 * Returns `rmsNorm(x, name)`; with `plusOne` the scale is 1 + w, added in float32 and folded as a
 * constant at load (ONNX Runtime's CPU provider has no float16 Add to fold with).
 */
export function rmsNorms(
  g: GraphBuilder,
  w: WeightSource,
  eps: number,
  plusOne = false,
): (x: string, name: string) => string {
  const one = plusOne ? g.f32(new Float32Array([1]), []) : undefined;
  const scale = (name: string) => {
    if (!one) return w(name);
    if (g.compute === "float32") return g.op("Add", [w(name), one]);
    const sum = g.op("Add", [g.op("Cast", [w(name)], { to: DataType.FLOAT }), one]);
    return g.op("Cast", [sum], { to: g.computeDataType });
  };
  return (x, name) => g.op("RMSNormalization", [x, scale(name)], { axis: -1, epsilon: { float: eps } });
}
