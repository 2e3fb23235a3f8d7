/**
 * Dense layers x (B, T, in) → (B, T, out), by how the weight is stored:
 * - GPT-2 Conv1D (in, out): MatMul + Add, a pattern ONNX Runtime fuses with the following GELU;
 * - nn.Linear (out, in): Gemm with transB over a (B·T, in) view, which multiplies by the weight
 *   as stored, so no transposed copy is folded at load (Llama-GQA first load 1007 → 576 ms).
 * The reshapes are views (no copy).
 *
 * With a LoRA adapter on the layer (PEFT tuners/lora/layer.py `Linear.forward`, and dora.py
 * `DoraLinearLayer`), read in place of a merged weight, so the base weight stays the file's:
 *   LoRA  y = W x + b + s · B(A x)
 *   DoRA  y = (m / ‖W + s·BA‖) ⊙ (W x + s · B(A x)) + b, the norm per output row of the
 *         (out, in) weight (`get_weight_norm`, dim=1). PEFT computes (m/n − 1)·Wx + (m/n)·s·BAx
 *         on top of the base layer's Wx + b: the same sum.
 * The norm depends on weights only, so ONNX Runtime computes it once when it folds constants.
 */
import type { GraphBuilder } from "../onnx/mod.ts";
import type { LoraSource, LoraWeights, WeightLayout } from "./spec.ts";

export type { WeightLayout } from "./spec.ts";

/**
 * Returns `dense(x, inDim, weight, bias?, layout, module?, rows?)`: x (B, T, in) → x·W (+ b) as
 * (B, T, out), plus the adapter's update when `lora` has one for `module` (its `rows` only, for
 * a part of a fused projection).
 */
export function denseLayers(g: GraphBuilder, ids: string, lora?: LoraSource) {
  let backShape: string | undefined;
  return (
    x: string,
    inDim: number,
    weight: string,
    bias: string | undefined,
    layout: WeightLayout,
    module?: string,
    /** Output rows of `module` this weight is (a fused projection read in parts). */
    rows?: [number, number],
  ): string => {
    const adapter = module === undefined ? undefined : lora?.(module, rows);
    if (layout === "in_out") {
      if (!adapter) {
        const y = g.op("MatMul", [x, weight]); // (B, T, out)
        return bias ? g.op("Add", [y, bias]) : y;
      }
      // (A x)ᵀ = xᵀ Aᵀ: Aᵀ (in, r) and s·Bᵀ (r, out) are folded once at load.
      const at = g.op("Transpose", [adapter.a], { perm: [1, 0] });
      const bt = g.op("Mul", [
        g.op("Transpose", [adapter.b], { perm: [1, 0] }),
        g.value(new Float32Array([adapter.scale]), []),
      ]);
      const sum = g.op("Add", [g.op("MatMul", [x, weight]), g.op("MatMul", [g.op("MatMul", [x, at]), bt])]);
      const y = adapter.magnitude
        ? g.op("Mul", [sum, doraScale(g, weight, g.op("MatMul", [at, bt]), adapter, 0)])
        : sum;
      return bias ? g.op("Add", [y, bias]) : y;
    }
    const flat = g.op("Reshape", [x, g.i64([-1, inDim])]); // (B·T, in)
    let y: string;
    if (!adapter) {
      y = g.op("Gemm", bias ? [flat, weight, bias] : [flat, weight], { transB: 1 }); // (B·T, out)
    } else {
      const dora = adapter.magnitude !== undefined;
      const base = g.op("Gemm", bias && !dora ? [flat, weight, bias] : [flat, weight], { transB: 1 });
      const xa = g.op("Gemm", [flat, adapter.a], { transB: 1 }); // (B·T, r)
      y = g.op("Gemm", [xa, adapter.b, base], { transB: 1, alpha: { float: adapter.scale } }); // s·(xAᵀ)Bᵀ + base
      if (dora) {
        const delta = g.op("Mul", [
          g.op("MatMul", [adapter.b, adapter.a]),
          g.value(new Float32Array([adapter.scale]), []),
        ]);
        y = g.op("Mul", [y, doraScale(g, weight, delta, adapter, 1)]);
        if (bias) y = g.op("Add", [y, bias]);
      }
    }
    backShape ??= g.op("Concat", [g.dim(ids, 0), g.dim(ids, 1), g.i64([-1])], { axis: 0 });
    return g.op("Reshape", [y, backShape]); // (B, T, out)
  };
}

/** m / ‖W + ΔW‖ per output: the norm over the input axis (1 for (out, in), 0 for (in, out)). */
function doraScale(g: GraphBuilder, weight: string, delta: string, adapter: LoraWeights, inputAxis: 0 | 1): string {
  const norm = g.op("ReduceL2", [g.op("Add", [weight, delta]), g.i64([inputAxis])], { keepdims: 0 }); // (out)
  return g.op("Div", [adapter.magnitude!, norm]);
}
