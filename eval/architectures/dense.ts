/**
 * Dense layers x (B, T, in) → (B, T, out), by how the weight is stored:
 * - GPT-2 Conv1D (in, out): MatMul + Add, a pattern ONNX Runtime fuses with the following GELU;
 * - nn.Linear (out, in): Gemm with transB over a (B·T, in) view, which multiplies by the weight
 *   as stored, so no transposed copy is folded at load (Llama-GQA first load 1007 → 576 ms).
 * The reshapes are views (no copy).
 */
import type { GraphBuilder } from "../onnx/mod.ts";

/** How a weight is stored: GPT-2's Conv1D (in, out), or nn.Linear (out, in). */
export type WeightLayout = "in_out" | "out_in";

/** Returns `dense(x, inDim, weight, bias?, layout)`: x (B, T, in) → x·W (+ b) as (B, T, out). */
export function denseLayers(g: GraphBuilder, ids: string) {
  let backShape: string | undefined;
  return (x: string, inDim: number, weight: string, bias: string | undefined, layout: WeightLayout): string => {
    if (layout === "in_out") {
      const y = g.op("MatMul", [x, weight]); // (B, T, out)
      return bias ? g.op("Add", [y, bias]) : y;
    }
    const flat = g.op("Reshape", [x, g.i64([-1, inDim])]); // (B·T, in)
    const y = g.op("Gemm", bias ? [flat, weight, bias] : [flat, weight], { transB: 1 }); // (B·T, out)
    backShape ??= g.op("Concat", [g.dim(ids, 0), g.dim(ids, 1), g.i64([-1])], { axis: 0 });
    return g.op("Reshape", [y, backShape]); // (B, T, out)
  };
}
