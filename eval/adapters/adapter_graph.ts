/**
 * An adapter's tensors as graph values for the dense layers (architectures/dense.ts): each
 * layer's A, B and DoRA magnitude inlined from the adapter's bytes (cast to the compute type in
 * the graph, as base weights are), with PEFT's scaling; for a part of a fused projection, the
 * part's rows of B and of the magnitude.
 */
import type { LoraSource } from "../architectures/spec.ts";
import type { GraphBuilder } from "../onnx/mod.ts";
import type { WeightRef } from "../safetensors/mod.ts";
import type { CheckedAdapter } from "./adapter.ts";

/** The adapter's update of each layer it adapts. */
export function loraSource(g: GraphBuilder, adapter: CheckedAdapter): LoraSource {
  const value = (ref: WeightRef) =>
    g.inlineWeight(ref.name, ref.dtype, ref.shape, adapter.bytes.subarray(ref.offset, ref.offset + ref.length));
  return (module, rows) => {
    const layer = adapter.layers.get(module);
    if (!layer) return undefined;
    // A part of a fused projection: its rows of B and of the magnitude (folded at load).
    const part = (v: string) => rows ? g.op("Slice", [v, g.i64([rows[0]]), g.i64([rows[0] + rows[1]]), g.i64([0])]) : v;
    return {
      a: value(layer.a),
      b: part(value(layer.b)),
      scale: adapter.config.scaling,
      magnitude: layer.magnitude ? part(value(layer.magnitude)) : undefined,
    };
  };
}
