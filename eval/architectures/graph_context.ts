/**
 * What an architecture builds its graph with: compile.ts hands one `GraphContext` to
 * `buildHidden` (spec.ts), which passes it on to the shared helpers (linear.ts, norms.ts,
 * rotary.ts, attention.ts) as one value.
 */
import type { GraphBuilder } from "../onnx/mod.ts";
import type { LoraSource, WeightSource } from "./spec.ts";

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
