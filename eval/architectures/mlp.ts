/**
 * The two MLP shapes the architectures share, (B, T, C) → (B, T, C) through width I:
 * - gated (modeling_llama `LlamaMLP`, modeling_gemma `GemmaMLP`):
 *   `down_proj(act(gate_proj(x)) * up_proj(x))`;
 * - two layers (modeling_gpt2 `GPT2MLP`, _gptj `GPTJMLP`, _gpt_neox `GPTNeoXMLP`, _phi `PhiMLP`,
 *   _falcon `FalconMLP`, BART's fc1/fc2): `down(gelu(up(x)))`.
 * Phi-3's MLP is the gated one with gate and up fused into one weight; phi3.ts reads its parts.
 */
import type { GraphBuilder } from "../onnx/mod.ts";
import { gelu, type GeluApproximation } from "./activations.ts";
import type { Linear } from "./linear.ts";

/** What an MLP is built with: the graph and the architecture's linear layers. */
export interface MlpLayers {
  g: GraphBuilder;
  linear: Linear;
}

/** A gated MLP's `{prefix}gate_proj`, `up_proj` and `down_proj`, and what it is built with. */
export interface GatedMlp extends MlpLayers {
  /** The activation on the gate. */
  act: (x: string) => string;
  bias: boolean;
  /** I, the input width of `down_proj`. */
  inner: number;
}

/** `down_proj(act(gate_proj(x)) * up_proj(x))`, the modules under `prefix`. */
export function gatedMlp(mlp: GatedMlp, x: string, prefix: string): string {
  const { g, linear, bias } = mlp;
  const gate = mlp.act(linear(x, prefix + "gate_proj", { bias })); // (B, T, I)
  const up = linear(x, prefix + "up_proj", { bias });
  return linear(g.op("Mul", [gate, up]), prefix + "down_proj", { bias, inDim: mlp.inner });
}

/** A two-layer MLP's modules (under its prefix) and activation, and what it is built with. */
export interface GeluMlp extends MlpLayers {
  /** C → I, and I → C. */
  up: string;
  down: string;
  inner: number;
  approximate: GeluApproximation;
  /** Bias on both layers (default: the linear layers' default). */
  bias?: boolean;
}

/** `down(gelu(up(x)))`, the modules under `prefix`. */
export function geluMlp(mlp: GeluMlp, x: string, prefix: string): string {
  const { g, linear, bias } = mlp;
  const up = gelu(g, linear(x, prefix + mlp.up, { bias }), mlp.approximate); // (B, T, I)
  return linear(up, prefix + mlp.down, { bias, inDim: mlp.inner });
}
