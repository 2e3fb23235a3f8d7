/**
 * The Llama family (transformers' modeling_llama, modeling_mistral, modeling_qwen2,
 * modeling_qwen3): `LlamaForCausalLM`, `MistralForCausalLM`, `Qwen2ForCausalLM`,
 * `Qwen3ForCausalLM`. RMSNorm, rotary positions (rotate-half convention; every RoPE type of
 * rope.ts), grouped-query attention, SwiGLU MLP. Switches: Qwen2 q/k/v biases, Llama and Qwen3
 * `attention_bias`, Llama `mlp_bias`, Qwen3's per-head q/k RMSNorm before the rotation, sliding
 * windows per layer (Mistral on every layer; Qwen by `layer_types` or `use_sliding_window` from
 * `max_window_layers` on), tied or untied output head.
 */
import { silu } from "./activations.ts";
import { attentionContext, attentionHeads, causalAttention } from "./attention.ts";
import { type BaseSpec, readBaseSpec } from "./base_spec.ts";
import { windowsByLayerType } from "./layer_types.ts";
import { linearLayers } from "./linear.ts";
import { EMBED_TOKENS, LLAMA_LAYOUT, llamaLayer } from "./llama_layout.ts";
import { gatedMlp } from "./mlp.ts";
import { perHeadNorms, rmsNorms } from "./norms.ts";
import { readRope, type RopeSpec } from "./rope.ts";
import { rotary } from "./rotary.ts";
import { type Architecture, ConfigReader, LIMITS } from "./spec.ts";
import { TensorList } from "./tensor_list.ts";

/** A validated Llama-family config. */
export interface LlamaSpec extends BaseSpec {
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
  ...LLAMA_LAYOUT,

  parseConfig(raw, architecture) {
    const c = new ConfigReader(raw, architecture);
    const base = readBaseSpec(c, { maxPositions: 2048, tieWordEmbeddings: false, kvHeads: true, headDim: true });
    c.oneOf("hidden_act", ["silu"], "silu");
    const qwen2 = architecture === "Qwen2ForCausalLM", qwen3 = architecture === "Qwen3ForCausalLM";
    const mistral = architecture === "MistralForCausalLM";
    const attentionBias = !qwen2 && c.bool("attention_bias", false);
    return {
      ...base,
      intermediateSize: c.int("intermediate_size", LIMITS.intermediateSize),
      rmsNormEps: c.positive("rms_norm_eps", 1e-6),
      rope: readRope(c, base),
      qkvBias: qwen2 || attentionBias,
      oBias: attentionBias,
      mlpBias: !qwen2 && !qwen3 && !mistral && c.bool("mlp_bias", false),
      qkNorm: qwen3,
      layerWindows: layerWindows(c, base.numLayers, mistral ? "all" : qwen2 || qwen3 ? "qwen" : "none"),
    };
  },

  tensors(s) {
    const C = s.hiddenSize, D = s.headDim;
    const t = new TensorList().add(EMBED_TOKENS, [s.vocabSize, C]);
    for (let i = 0; i < s.numLayers; i++) {
      const p = llamaLayer(i);
      t.norm(p + "input_layernorm", C, false)
        .attention(p + "self_attn.", s, { bias: s.qkvBias, out: "o_proj", outBias: s.oBias });
      if (s.qkNorm) t.norm(p + "self_attn.q_norm", D, false).norm(p + "self_attn.k_norm", D, false);
      t.norm(p + "post_attention_layernorm", C, false).gatedMlp(p + "mlp.", C, s.intermediateSize, s.mlpBias);
    }
    return t.norm("model.norm", C, false).untiedHead(s).tensors;
  },

  buildHidden(gc, s) {
    const { g, w, ids } = gc;
    const rmsNorm = rmsNorms(gc, s.rmsNormEps);
    // nn.Linear: x (B, T, in) @ Wᵀ [+ b], with W stored (out, in); biased as q, k and v unless told.
    const linear = linearLayers(gc, { inDim: s.hiddenSize, bias: s.qkvBias });
    const ctx = attentionContext(gc);
    const rope = rotary(gc, s.rope, { headDim: s.headDim });
    // Qwen3: RMSNorm over each head's D values.
    const headNorm = perHeadNorms(g, rmsNorm, s.headDim);
    const heads = attentionHeads(s);
    const mlp = { g, linear, act: (x: string) => silu(g, x), bias: s.mlpBias, inner: s.intermediateSize };

    let h = g.op("Gather", [w(EMBED_TOKENS), ids], { axis: 0 }); // (B, T, C)
    for (let i = 0; i < s.numLayers; i++) {
      const p = llamaLayer(i);
      const x = rmsNorm(h, p + "input_layernorm.weight");
      let q = linear(x, p + "self_attn.q_proj"); // (B, T, H·D)
      let k = linear(x, p + "self_attn.k_proj"); // (B, T, Hkv·D)
      if (s.qkNorm) {
        q = headNorm(q, s.numHeads, p + "self_attn.q_norm.weight");
        k = headNorm(k, s.numKvHeads, p + "self_attn.k_norm.weight");
      }
      const v = linear(x, p + "self_attn.v_proj"); // (B, T, Hkv·D)
      const a = causalAttention(ctx, [rope(q, s.numHeads), rope(k, s.numKvHeads), v], {
        ...heads,
        slidingWindow: s.layerWindows[i],
      }); // (B, T, H·D)
      h = g.op("Add", [h, linear(a, p + "self_attn.o_proj", { bias: s.oBias, inDim: s.numHeads * s.headDim })]);
      h = g.op("Add", [h, gatedMlp(mlp, rmsNorm(h, p + "post_attention_layernorm.weight"), p + "mlp.")]);
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
  return windowsByLayerType(c, types, { numLayers, window });
}
