/**
 * The normalisations the architectures share, over the last axis, parameters by state-dict prefix:
 * LayerNorm with `{prefix}.weight` and `{prefix}.bias`, and RMSNorm with a scale `{name}`
 * (Gemma's (1 + w) form when `plusOne`); either one per attention head.
 */
import { DataType, type GraphBuilder } from "../onnx/mod.ts";
import type { GraphContext } from "./graph_context.ts";

/** Returns `layerNorm(x, prefix)`. */
export function layerNorms({ g, w }: GraphContext, eps: number): (x: string, prefix: string) => string {
  return (x, prefix) =>
    g.op("LayerNormalization", [x, w(prefix + ".weight"), w(prefix + ".bias")], { axis: -1, epsilon: { float: eps } });
}

/** How an RMSNorm scales. */
export interface RmsNormOptions {
  /** Gemma's form: the scale is 1 + w (default: w). */
  plusOne?: boolean;
}

/**
 * Returns `rmsNorm(x, name)`; with `plusOne` the scale is 1 + w, added in float32 and folded as a
 * constant at load (ONNX Runtime's CPU provider has no float16 Add to fold with).
 */
export function rmsNorms(
  { g, w }: GraphContext,
  eps: number,
  { plusOne = false }: RmsNormOptions = {},
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

/**
 * Returns `headNorm(x, heads, name)`: `norm` over each head's D values, (B, T, H·D) → (B, T, H, D)
 * → back; Qwen3's `q_norm`/`k_norm` (modeling_qwen3) and Phi's `q_layernorm`/`k_layernorm`
 * (modeling_phi), both applied before the rotation.
 */
export function perHeadNorms(
  g: GraphBuilder,
  norm: (x: string, name: string) => string,
  headDim: number,
): (x: string, heads: number, name: string) => string {
  return (x, heads, name) => {
    const perHead = g.op("Reshape", [x, g.i64([0, 0, heads, headDim])]);
    return g.op("Reshape", [norm(perHead, name), g.i64([0, 0, heads * headDim])]);
  };
}
