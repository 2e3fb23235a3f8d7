/**
 * Weights replaced at given positions on every run: the graph reads each named parameter from
 * its file as usual, then writes the values fed for that run at the positions fed (flat,
 * row-major) before anything uses it. A pseudo-gradient window judges many peers' sparse updates
 * of one checkpoint this way with one compiled session, instead of a float32 copy and a session
 * per peer (src/pseudograd/measure_peers.ts measures both). An empty feed is the checkpoint itself.
 */
import { DataType, type GraphBuilder, type ValueInfo } from "./onnx/mod.ts";
import type { WeightRef } from "./safetensors/mod.ts";

/** New values of one parameter at flat row-major positions, each position at most once. */
export interface SparseValues {
  at: Uint32Array;
  values: Float32Array;
}

/** The graph inputs of a parameter's replaced positions and values. */
export function sparseInputNames(parameter: string): { at: string; values: string } {
  return { at: `${parameter}::at`, values: `${parameter}::values` };
}

/**
 * Adds the replacement of `ref`'s positions to the graph; `weight` is its float32 value in the graph.
 * Positions are int32 (ScatterElements takes int32 or int64 indices), so they are fed as they are
 * kept, without a conversion per position; a parameter of 2³¹ elements or more cannot be replaced.
 */
export function replacedWeight(g: GraphBuilder, ref: WeightRef, weight: string): string {
  const elements = ref.shape.reduce((a, b) => a * b, 1);
  if (elements > 2 ** 31 - 1) {
    throw new RangeError(`"${ref.name}" has ${elements} elements, too many to replace by int32 position`);
  }
  const names = sparseInputNames(ref.name);
  const flat = g.op("Reshape", [weight, g.i64([-1])]);
  const replaced = g.op("ScatterElements", [flat, names.at, names.values], { axis: 0 });
  return g.op("Reshape", [replaced, g.i64(ref.shape)]);
}

/** The graph inputs that the replaced parameters add. */
export function sparseInputs(parameters: Iterable<string>): ValueInfo[] {
  return [...parameters].flatMap((name, i) => {
    const n = sparseInputNames(name);
    return [
      { name: n.at, dataType: DataType.INT32, shape: [`n${i}`] },
      { name: n.values, dataType: DataType.FLOAT, shape: [`n${i}`] },
    ];
  });
}
