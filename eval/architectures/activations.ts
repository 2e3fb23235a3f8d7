/**
 * The MLP activations, by the names configs give them in transformers' activations.py `ACT2FN`:
 * `gelu` is the exact (erf) GeLU; `gelu_new`, `gelu_pytorch_tanh` and `gelu_fast` are its tanh
 * approximation; `silu` is x·σ(x).
 */
import type { GraphBuilder } from "../onnx/mod.ts";
import type { ConfigReader } from "./spec.ts";

/** ONNX Gelu's `approximate`: the tanh approximation or the exact GeLU. */
export type GeluApproximation = "tanh" | "none";

/** Every GeLU name an architecture may accept, and the approximation transformers computes for it. */
const GELU = {
  gelu: "none",
  gelu_new: "tanh",
  gelu_pytorch_tanh: "tanh",
  gelu_fast: "tanh",
} as const satisfies Record<string, GeluApproximation>;

/** A GeLU's name in a config. */
export type GeluName = keyof typeof GELU;

/**
 * Reads `key` as one of `names`, the GeLUs this architecture's config accepts (listed in that
 * order when the value is refused), the first when the key is absent or null, and returns its
 * approximation.
 */
export function readGelu(
  c: ConfigReader,
  key: string,
  names: readonly [GeluName, ...GeluName[]],
): GeluApproximation {
  return GELU[c.oneOf(key, names, names[0])];
}

/** GeLU(x) as ONNX's Gelu op. */
export function gelu(g: GraphBuilder, x: string, approximate: GeluApproximation): string {
  return g.op("Gelu", [x], { approximate });
}

/** SiLU(x) = x · σ(x). */
export function silu(g: GraphBuilder, x: string): string {
  return g.op("Mul", [x, g.op("Sigmoid", [x])]);
}
