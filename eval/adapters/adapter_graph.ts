/**
 * An adapter's tensors as graph values for the dense layers (architectures/dense.ts): each
 * layer's A, B and DoRA magnitude inlined from the adapter's bytes (cast to float32 in the
 * graph, as base weights are), with PEFT's scaling.
 */
import type { LoraSource } from "../architectures/spec.ts";
import type { GraphBuilder } from "../onnx/mod.ts";
import type { WeightRef } from "../safetensors/mod.ts";
import type { CheckedAdapter } from "./adapter.ts";

/** The adapter's update of each layer it adapts. */
export function loraSource(g: GraphBuilder, adapter: CheckedAdapter): LoraSource {
  const value = (ref: WeightRef) =>
    g.inlineWeight(ref.name, ref.dtype, ref.shape, adapter.bytes.subarray(ref.offset, ref.offset + ref.length));
  return (module) => {
    const layer = adapter.layers.get(module);
    if (!layer) return undefined;
    return {
      a: value(layer.a),
      b: value(layer.b),
      scale: adapter.config.scaling,
      magnitude: layer.magnitude ? value(layer.magnitude) : undefined,
    };
  };
}
