/**
 * An architecture's tensor list as its modelling code declares it: plain tensors, linear layers,
 * norms, and the blocks several architectures declare alike (transformers' LlamaAttention-style
 * q/k/v/o projections, LlamaMLP's gate/up/down, an untied `lm_head`).
 */
import type { BaseSpec } from "./base_spec.ts";
import type { LinearModule, ModelSpec, TensorSpec } from "./spec.ts";

/** How an attention block's projections are named and biased, under its prefix. */
export interface AttentionTensors {
  /** Bias on q, k and v. */
  bias: boolean;
  /** The output projection's name (`o_proj`, `dense`, `out_proj`). */
  out: string;
  /** Bias on the output projection (default: as q, k and v). */
  outBias?: boolean;
}

/** Accumulates the tensors a config requires, in declaration order. */
export class TensorList {
  readonly tensors: TensorSpec[] = [];

  add(name: string, shape: number[]): this {
    this.tensors.push({ name, shape });
    return this;
  }

  /** nn.Linear: `{name}.weight` (out, in) and, with `bias`, `{name}.bias` (out). */
  linear(name: string, out: number, inp: number, bias: boolean): this {
    const linear: LinearModule = { module: name, inFeatures: inp, outFeatures: out, layout: "out_in" };
    this.tensors.push({ name: name + ".weight", shape: [out, inp], linear });
    return bias ? this.add(name + ".bias", [out]) : this;
  }

  /** GPT-2's Conv1D: `{name}.weight` stored (in, out), and `{name}.bias` (out). */
  conv1d(name: string, inp: number, out: number): this {
    const linear: LinearModule = { module: name, inFeatures: inp, outFeatures: out, layout: "in_out" };
    this.tensors.push({ name: name + ".weight", shape: [inp, out], linear });
    return this.add(name + ".bias", [out]);
  }

  /** A norm's `{name}.weight` (size) and, for a LayerNorm (`bias`), `{name}.bias`. */
  norm(name: string, size: number, bias: boolean): this {
    this.add(name + ".weight", [size]);
    return bias ? this.add(name + ".bias", [size]) : this;
  }

  /**
   * Separate `{prefix}q_proj` (H·D, C), `k_proj` and `v_proj` (Hkv·D, C), then the output
   * projection (C, H·D): the attention weights of modeling_llama, _gemma, _phi and _gptj.
   */
  attention(prefix: string, s: BaseSpec, o: AttentionTensors): this {
    const C = s.hiddenSize, Dq = s.numHeads * s.headDim, Dkv = s.numKvHeads * s.headDim;
    return this.linear(prefix + "q_proj", Dq, C, o.bias)
      .linear(prefix + "k_proj", Dkv, C, o.bias)
      .linear(prefix + "v_proj", Dkv, C, o.bias)
      .linear(prefix + o.out, C, Dq, o.outBias ?? o.bias);
  }

  /** LlamaMLP's (and GemmaMLP's) `{prefix}gate_proj` and `up_proj` (I, C), and `down_proj` (C, I). */
  gatedMlp(prefix: string, width: number, inner: number, bias: boolean): this {
    return this.linear(prefix + "gate_proj", inner, width, bias)
      .linear(prefix + "up_proj", inner, width, bias)
      .linear(prefix + "down_proj", width, inner, bias);
  }

  /** The output head's own (V, C) weight, unless `tie_word_embeddings` ties it to the input embedding. */
  untiedHead(s: ModelSpec, name = "lm_head.weight"): this {
    return s.tieWordEmbeddings ? this : this.add(name, [s.vocabSize, s.hiddenSize]);
  }
}
