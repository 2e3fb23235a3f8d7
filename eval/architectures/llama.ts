/**
 * The Llama family: `LlamaForCausalLM`, `MistralForCausalLM`, `Qwen2ForCausalLM`. RMSNorm,
 * rotary positions (rotate-half convention, `rope_theta`), grouped-query attention, SwiGLU MLP.
 * Switches: Qwen2 q/k/v biases, Llama `attention_bias`/`mlp_bias`, Mistral's sliding window,
 * tied or untied output head.
 */
import type { GraphBuilder } from "../onnx/mod.ts";
import { attentionContext, causalAttention } from "./attention.ts";
import { denseLayers } from "./dense.ts";
import { type Architecture, ConfigReader, LIMITS, type ModelSpec, type TensorSpec } from "./spec.ts";

/** A validated Llama-family config. */
export interface LlamaSpec extends ModelSpec {
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  /** Which of q, k, v, o projections carry a bias. */
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
  /** Attention span in tokens (query − key < window), or null for plain causal attention. */
  slidingWindow: number | null;
}

/** The Llama-family architecture module. */
export const llama: Architecture<LlamaSpec> = {
  names: ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"],
  keyPrefixes: [""],
  buffers: /^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/,

  parseConfig(raw, architecture) {
    const c = new ConfigReader(raw, architecture);
    const hiddenSize = c.int("hidden_size", LIMITS.hiddenSize);
    const numHeads = c.int("num_attention_heads", LIMITS.numHeads);
    const numKvHeads = c.int("num_key_value_heads", numHeads, numHeads);
    c.divisible("num_attention_heads", numHeads, "num_key_value_heads", numKvHeads);
    if (raw.head_dim == null) c.divisible("hidden_size", hiddenSize, "num_attention_heads", numHeads);
    const headDim = c.int("head_dim", LIMITS.hiddenSize, hiddenSize / numHeads);
    if (headDim % 2 !== 0) throw c.error("head_dim", `= ${headDim} must be even for rotary positions`);
    if (raw.rope_scaling != null) throw c.error("rope_scaling", "is not supported (only plain RoPE)");
    c.oneOf("hidden_act", ["silu"], "silu");
    const qwen = architecture === "Qwen2ForCausalLM";
    const mistral = architecture === "MistralForCausalLM";
    const windowed = mistral || (qwen && c.bool("use_sliding_window", false));
    const attentionBias = !qwen && c.bool("attention_bias", false);
    return {
      architecture,
      vocabSize: c.int("vocab_size", LIMITS.vocabSize),
      hiddenSize,
      numLayers: c.int("num_hidden_layers", LIMITS.numLayers),
      numHeads,
      numKvHeads,
      headDim,
      intermediateSize: c.int("intermediate_size", LIMITS.intermediateSize),
      maxPositions: c.int("max_position_embeddings", LIMITS.maxPositions, 2048),
      rmsNormEps: c.positive("rms_norm_eps", 1e-6),
      ropeTheta: c.positive("rope_theta", 10000),
      tieWordEmbeddings: c.bool("tie_word_embeddings", false),
      qkvBias: qwen || attentionBias,
      oBias: attentionBias,
      mlpBias: !qwen && !mistral && c.bool("mlp_bias", false),
      slidingWindow: windowed && raw.sliding_window != null ? c.int("sliding_window", LIMITS.maxPositions) : null,
    };
  },

  tensors(s) {
    const C = s.hiddenSize, Dq = s.numHeads * s.headDim, Dkv = s.numKvHeads * s.headDim;
    const I = s.intermediateSize;
    const t: TensorSpec[] = [{ name: "model.embed_tokens.weight", shape: [s.vocabSize, C] }];
    const linear = (name: string, out: number, inp: number, bias: boolean) => {
      t.push({ name: name + ".weight", shape: [out, inp] });
      if (bias) t.push({ name: name + ".bias", shape: [out] });
    };
    for (let i = 0; i < s.numLayers; i++) {
      const p = `model.layers.${i}.`;
      t.push({ name: p + "input_layernorm.weight", shape: [C] });
      linear(p + "self_attn.q_proj", Dq, C, s.qkvBias);
      linear(p + "self_attn.k_proj", Dkv, C, s.qkvBias);
      linear(p + "self_attn.v_proj", Dkv, C, s.qkvBias);
      linear(p + "self_attn.o_proj", C, Dq, s.oBias);
      t.push({ name: p + "post_attention_layernorm.weight", shape: [C] });
      linear(p + "mlp.gate_proj", I, C, s.mlpBias);
      linear(p + "mlp.up_proj", I, C, s.mlpBias);
      linear(p + "mlp.down_proj", C, I, s.mlpBias);
    }
    t.push({ name: "model.norm.weight", shape: [C] });
    if (!s.tieWordEmbeddings) t.push({ name: "lm_head.weight", shape: [s.vocabSize, C] });
    return t;
  },

  headName: (s) => s.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight",

  buildHidden(g, s, w, ids) {
    const rmsNorm = (x: string, name: string) =>
      g.op("RMSNormalization", [x, w(name)], { axis: -1, epsilon: { float: s.rmsNormEps } });
    // nn.Linear: x (B, T, in) @ Wᵀ [+ b], with W stored (out, in).
    const dense = denseLayers(g, ids);
    const linear = (x: string, p: string, bias: boolean, inDim = s.hiddenSize) =>
      dense(x, inDim, w(p + ".weight"), bias ? w(p + ".bias") : undefined, "out_in");
    const ctx = attentionContext(ids, s.slidingWindow);
    const { cos, sin } = ropeTables(g, s);
    const T = g.dim(ids, 1);
    const positions = g.op("Expand", [
      g.op("Unsqueeze", [g.op("Range", [g.i64(0), g.op("Squeeze", [T]), g.i64(1)]), g.i64([0])]), // (1, T)
      g.op("Shape", [ids]),
    ]); // (B, T)
    const rope = (x: string, heads: number) =>
      g.op("RotaryEmbedding", [x, cos, sin, positions], { num_heads: heads, interleaved: 0 });
    const heads = { numHeads: s.numHeads, numKvHeads: s.numKvHeads, headDim: s.headDim };

    let h = g.op("Gather", [w("model.embed_tokens.weight"), ids], { axis: 0 }); // (B, T, C)
    for (let i = 0; i < s.numLayers; i++) {
      const p = `model.layers.${i}.`;
      const x = rmsNorm(h, p + "input_layernorm.weight");
      const q = rope(linear(x, p + "self_attn.q_proj", s.qkvBias), s.numHeads); // (B, T, H·D)
      const k = rope(linear(x, p + "self_attn.k_proj", s.qkvBias), s.numKvHeads); // (B, T, Hkv·D)
      const v = linear(x, p + "self_attn.v_proj", s.qkvBias); // (B, T, Hkv·D)
      const a = causalAttention(g, ctx, q, k, v, heads); // (B, T, H·D)
      h = g.op("Add", [h, linear(a, p + "self_attn.o_proj", s.oBias, s.numHeads * s.headDim)]);
      const y = rmsNorm(h, p + "post_attention_layernorm.weight");
      const gate = linear(y, p + "mlp.gate_proj", s.mlpBias); // (B, T, I)
      const silu = g.op("Mul", [gate, g.op("Sigmoid", [gate])]);
      const up = linear(y, p + "mlp.up_proj", s.mlpBias);
      h = g.op("Add", [h, linear(g.op("Mul", [silu, up]), p + "mlp.down_proj", s.mlpBias, s.intermediateSize)]);
    }
    return rmsNorm(h, "model.norm.weight");
  },
};

/**
 * cos/sin caches (maxPositions, D/2) for inverse frequencies θ^(−2i/D), computed in float64 and
 * rounded once to float32, as Hugging Face does in float32.
 */
function ropeTables(g: GraphBuilder, s: LlamaSpec): { cos: string; sin: string } {
  const half = s.headDim / 2, n = Math.min(s.maxPositions, g.maxSequenceLength);
  const cos = new Float32Array(n * half), sin = new Float32Array(n * half);
  for (let i = 0; i < half; i++) {
    const invFreq = Math.fround(1 / Math.pow(s.ropeTheta, (2 * i) / s.headDim));
    for (let t = 0; t < n; t++) {
      const angle = Math.fround(t * invFreq);
      cos[t * half + i] = Math.cos(angle);
      sin[t * half + i] = Math.sin(angle);
    }
  }
  return { cos: g.f32(cos, [n, half]), sin: g.f32(sin, [n, half]) };
}
