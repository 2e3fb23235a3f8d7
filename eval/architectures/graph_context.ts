/**
 * What an architecture builds its graph with: compile.ts hands one `GraphContext` to
 * `buildHidden` (spec.ts), which passes it on to the shared helpers (linear.ts, norms.ts,
 * rotary.ts, attention.ts) as one value.
 */
import type { GraphBuilder } from "../onnx/mod.ts";

/** The graph being built, its parameters, its token ids, and the adapter's updates when one is evaluated. */
export interface GraphContext {
  g: GraphBuilder;
  /** A parameter by canonical name (in the compute type), whole or a block of its rows. */
  w: WeightSource;
  /** The (B, T) int64 token ids. */
  ids: string;
  /** The LoRA/DoRA update of each adapted linear layer; absent for a plain model. */
  lora?: LoraSource;
}

/**
 * A LoRA update for a linear layer, as graph values (float32): `a` (r, in), `b` (out, r), the
 * scaling, and for DoRA the magnitude (out). dense.ts adds `scale · B(A x)` (or DoRA's form).
 */
export interface LoraWeights {
  a: string;
  b: string;
  scale: number;
  magnitude?: string;
}

/**
 * The LoRA update of a module by name, or undefined for a layer the adapter leaves alone. With
 * `rows`, the update of output rows [start, start + count) only: a fused projection's part.
 */
export type LoraSource = (module: string, rows?: [start: number, count: number]) => LoraWeights | undefined;

/** A parameter as a graph value, whole or a block of rows [start, start + count). */
export type WeightSource = (name: string, rows?: [start: number, count: number]) => string;
