/**
 * The Llama family (transformers' modeling_llama, modeling_mistral, modeling_qwen2,
 * modeling_qwen3): `LlamaForCausalLM`, `MistralForCausalLM`, `Qwen2ForCausalLM`,
 * `Qwen3ForCausalLM`. RMSNorm, rotary positions (rotate-half convention; every RoPE type of
 * rope.ts), grouped-query attention, SwiGLU MLP. Switches: Qwen2 q/k/v biases, Llama and Qwen3
 * `attention_bias`, Llama `mlp_bias`, Qwen3's per-head q/k RMSNorm before the rotation, sliding
 * windows per layer (Mistral on every layer; Qwen by `layer_types` or `use_sliding_window` from
 * `max_window_layers` on), tied or untied output head.
 */
import { previewValue } from "../reason.ts";
import { attentionContext, causalAttention } from "./attention.ts";
import { denseLayers } from "./dense.ts";
import { rmsNorms } from "./norms.ts";
import { readRope, type RopeSpec } from "./rope.ts";
import { rotary } from "./rotary.ts";
import { type Architecture, ConfigReader, LIMITS, type ModelSpec, readAttentionShape, TensorList } from "./spec.ts";

/** A validated Llama-family config. */
export interface LlamaSpec extends ModelSpec {
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  rmsNormEps: number;
  rope: RopeSpec;
  /** Which of q, k, v, o projections carry a bias. */
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
  /** Qwen3: RMSNorm over each head of q and k before the rotation. */
  qkNorm: boolean;
  /** Each layer's attention span in tokens (query − key < window), or null for plain causal. */
  layerWindows: (number | null)[];
}

/** The Llama-family architecture module. */
export const llama: Architecture<LlamaSpec> = {
  names: ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM"],
  keyPrefixes: [""],
  buffers: /^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/,

  parseConfig(raw, architecture) {
    const c = new ConfigReader(raw, architecture);
    const { hiddenSize, numHeads, numKvHeads, headDim } = readAttentionShape(c, { explicitHeadDim: true });
    const maxPositions = c.int("max_position_embeddings", LIMITS.maxPositions, 2048);
    c.oneOf("hidden_act", ["silu"], "silu");
    const qwen2 = architecture === "Qwen2ForCausalLM", qwen3 = architecture === "Qwen3ForCausalLM";
    const mistral = architecture === "MistralForCausalLM";
    const numLayers = c.int("num_hidden_layers", LIMITS.numLayers);
    const attentionBias = !qwen2 && c.bool("attention_bias", false);
    return {
      architecture,
      vocabSize: c.int("vocab_size", LIMITS.vocabSize),
      hiddenSize,
      numLayers,
      numHeads,
      numKvHeads,
      headDim,
      intermediateSize: c.int("intermediate_size", LIMITS.intermediateSize),
      maxPositions,
      rmsNormEps: c.positive("rms_norm_eps", 1e-6),
      rope: readRope(c, { headDim, maxPositions }),
      tieWordEmbeddings: c.bool("tie_word_embeddings", false),
      qkvBias: qwen2 || attentionBias,
      oBias: attentionBias,
      mlpBias: !qwen2 && !qwen3 && !mistral && c.bool("mlp_bias", false),
      qkNorm: qwen3,
      layerWindows: layerWindows(c, numLayers, mistral ? "all" : qwen2 || qwen3 ? "qwen" : "none"),
    };
  },

  tensors(s) {
    const C = s.hiddenSize, Dq = s.numHeads * s.headDim, Dkv = s.numKvHeads * s.headDim, I = s.intermediateSize;
    const t = new TensorList().add("model.embed_tokens.weight", [s.vocabSize, C]);
    for (let i = 0; i < s.numLayers; i++) {
      const p = `model.layers.${i}.`;
      t.norm(p + "input_layernorm", C, false)
        .linear(p + "self_attn.q_proj", Dq, C, s.qkvBias)
        .linear(p + "self_attn.k_proj", Dkv, C, s.qkvBias)
        .linear(p + "self_attn.v_proj", Dkv, C, s.qkvBias)
        .linear(p + "self_attn.o_proj", C, Dq, s.oBias);
      if (s.qkNorm) t.norm(p + "self_attn.q_norm", s.headDim, false).norm(p + "self_attn.k_norm", s.headDim, false);
      t.norm(p + "post_attention_layernorm", C, false)
        .linear(p + "mlp.gate_proj", I, C, s.mlpBias)
        .linear(p + "mlp.up_proj", I, C, s.mlpBias)
        .linear(p + "mlp.down_proj", C, I, s.mlpBias);
    }
    t.norm("model.norm", C, false);
    if (!s.tieWordEmbeddings) t.add("lm_head.weight", [s.vocabSize, C]);
    return t.tensors;
  },

  headName: (s) => s.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight",

  buildHidden(g, s, w, ids, lora) {
    const rmsNorm = rmsNorms(g, w, s.rmsNormEps);
    // nn.Linear: x (B, T, in) @ Wᵀ [+ b], with W stored (out, in).
    const dense = denseLayers(g, ids, lora);
    const linear = (x: string, p: string, bias: boolean, inDim = s.hiddenSize) =>
      dense(x, inDim, w(p + ".weight"), bias ? w(p + ".bias") : undefined, "out_in", p);
    const ctx = attentionContext(ids);
    const rope = rotary(g, ids, s.rope, s.headDim);
    // Qwen3: RMSNorm over each head's D values, (B, T, H·D) → (B, T, H, D) → back.
    const headNorm = (x: string, heads: number, name: string) => {
      const perHead = g.op("Reshape", [x, g.i64([0, 0, heads, s.headDim])]);
      return g.op("Reshape", [rmsNorm(perHead, name), g.i64([0, 0, heads * s.headDim])]);
    };
    const heads = { numHeads: s.numHeads, numKvHeads: s.numKvHeads, headDim: s.headDim };

    let h = g.op("Gather", [w("model.embed_tokens.weight"), ids], { axis: 0 }); // (B, T, C)
    for (let i = 0; i < s.numLayers; i++) {
      const p = `model.layers.${i}.`;
      const x = rmsNorm(h, p + "input_layernorm.weight");
      let q = linear(x, p + "self_attn.q_proj", s.qkvBias); // (B, T, H·D)
      let k = linear(x, p + "self_attn.k_proj", s.qkvBias); // (B, T, Hkv·D)
      if (s.qkNorm) {
        q = headNorm(q, s.numHeads, p + "self_attn.q_norm.weight");
        k = headNorm(k, s.numKvHeads, p + "self_attn.k_norm.weight");
      }
      const v = linear(x, p + "self_attn.v_proj", s.qkvBias); // (B, T, Hkv·D)
      const a = causalAttention(g, ctx, rope(q, s.numHeads), rope(k, s.numKvHeads), v, {
        ...heads,
        slidingWindow: s.layerWindows[i],
      }); // (B, T, H·D)
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
 * Which layers attend within a sliding window. Mistral: every layer, when `sliding_window` is
 * set. Qwen2/Qwen3: `layer_types` when given, else `use_sliding_window` from layer
 * `max_window_layers` on (transformers' default for those configs). Llama: none.
 */
function layerWindows(c: ConfigReader, numLayers: number, rule: "all" | "qwen" | "none"): (number | null)[] {
  const raw = c.raw;
  if (rule === "none") return Array(numLayers).fill(null);
  const window = raw.sliding_window == null ? null : c.int("sliding_window", LIMITS.maxPositions);
  if (rule === "all") return Array(numLayers).fill(window);
  let types: unknown = raw.layer_types;
  if (types == null) {
    const from = c.bool("use_sliding_window", false)
      ? (raw.max_window_layers == null ? 0 : c.int("max_window_layers", LIMITS.numLayers))
      : numLayers;
    types = Array.from({ length: numLayers }, (_, i) => (i >= from ? "sliding_attention" : "full_attention"));
  }
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
