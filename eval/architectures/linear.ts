/**
 * Linear layers by module name, as the modelling code applies them: `{module}.weight` times x,
 * plus `{module}.bias` when the layer has one. nn.Linear stores the weight (out, in); GPT-2's
 * Conv1D (in, out). Every layer goes through dense.ts with its module name, so a LoRA adapter on
 * that module applies; `rows` reads a fused projection's part (Phi-3's `qkv_proj`) in place.
 */
import { denseLayers } from "./dense.ts";
import type { GraphContext } from "./graph_context.ts";
import type { WeightLayout } from "./spec.ts";

/** One application's departures from the layers' defaults. */
export interface LinearOptions {
  /** Input width (default: the model width). */
  inDim?: number;
  bias?: boolean;
  /** Output rows [start, count) of a fused weight, read in place. */
  rows?: [number, number];
}

/** `linear(x, module, o)`: x (B, T, in) → (B, T, out). */
export type Linear = (x: string, module: string, o?: LinearOptions) => string;

/** The defaults of an architecture's linear layers. */
export interface LinearDefaults {
  inDim: number;
  bias: boolean;
  /** Default "out_in" (nn.Linear). */
  layout?: WeightLayout;
}

/** Returns `linear(x, module, o)` for the context's graph, with its adapter's updates where it has them. */
export function linearLayers({ g, w, ids, lora }: GraphContext, defaults: LinearDefaults): Linear {
  const dense = denseLayers(g, ids, lora);
  const layout = defaults.layout ?? "out_in";
  return (x, module, { inDim = defaults.inDim, bias = defaults.bias, rows } = {}) =>
    dense(x, inDim, w(module + ".weight", rows), bias ? w(module + ".bias", rows) : undefined, layout, module, rows);
}
