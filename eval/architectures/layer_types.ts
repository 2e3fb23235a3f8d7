/**
 * Per-layer attention spans from a config's `layer_types` (transformers' configuration_utils
 * `layer_type_validation`, read by modeling_qwen2, _qwen3 and _gemma2): one entry per layer,
 * `full_attention` (plain causal) or `sliding_attention` (within `sliding_window`).
 */
import { previewValue } from "../reason.ts";
import type { ConfigReader } from "./spec.ts";

/** The model's layer count, and the window its sliding layers attend within. */
export interface LayerWindowOptions {
  numLayers: number;
  /** The config's `sliding_window` (query − key < window), or null when it has none. */
  window: number | null;
}

/**
 * Each layer's window (query − key < window), or null for plain causal, from `types`: the
 * config's `layer_types` or the architecture's default list. Refuses a list of the wrong length
 * or with other entries, and sliding layers without a window.
 */
export function windowsByLayerType(
  c: ConfigReader,
  types: unknown,
  { numLayers, window }: LayerWindowOptions,
): (number | null)[] {
  if (
    !Array.isArray(types) || types.length !== numLayers ||
    !types.every((t) => t === "full_attention" || t === "sliding_attention")
  ) {
    throw c.error(
      "layer_types",
      `must list full_attention or sliding_attention for each of the ${numLayers} layers, got ${previewValue(types)}`,
    );
  }
  if (types.includes("sliding_attention") && window === null) {
    throw c.error("sliding_window", "is required by sliding_attention layers");
  }
  return types.map((t) => (t === "sliding_attention" ? window : null));
}
