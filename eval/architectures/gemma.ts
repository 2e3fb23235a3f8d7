/**
 * Gemma and Gemma2 (transformers' modeling_gemma, modeling_gemma2): Llama-shaped blocks with
 * - embeddings scaled by √hidden_size;
 * - RMSNorm scaled by (1 + w), computed in float32;
 * - a GeLU (tanh approximation, `gelu_pytorch_tanh`) gated MLP;
 * - an explicit `head_dim`, and an output head tied to the embeddings unless the config says not.
 * Gemma2 adds:
 * - a norm after attention and around the MLP (post_attention, pre_feedforward and post_feedforward);
 * - attention scores scaled by `query_pre_attn_scalar`^−½ and soft-capped by
 *   `attn_logit_softcapping`;
 * - a sliding window on every other layer (layers 0, 2, 4 …; or as `layer_types` says);
 * - final logits soft-capped by `final_logit_softcapping`.
 */
import { previewValue } from "../reason.ts";
import { attentionContext, causalAttention } from "./attention.ts";
import { denseLayers } from "./dense.ts";
import { rmsNorms } from "./norms.ts";
import { rotary } from "./rotary.ts";
import { readRope, type RopeSpec } from "./rope.ts";
import { type Architecture, ConfigReader, LIMITS, type ModelSpec, readAttentionShape, TensorList } from "./spec.ts";

/** A validated Gemma or Gemma2 config. */
export interface GemmaSpec extends ModelSpec {
  gemma2: boolean;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  rmsNormEps: number;
  rope: RopeSpec;
  attentionBias: boolean;
  /** The MLP's GeLU: tanh approximation or exact. */
  approximate: "tanh" | "none";
  /** Score scale (Gemma: 1/√head_dim; Gemma2: query_pre_attn_scalar^−½). */
  scale: number;
  attnSoftcap: number | null;
  layerWindows: (number | null)[];
  /**
   * The embedding normaliser √C as transformers builds it: `torch.tensor(hidden_size ** 0.5,
   * dtype=hidden_states.dtype)` (modeling_gemma.py, modeling_gemma2.py), so a checkpoint run in its
   * `torch_dtype` multiplies by √C rounded to that type: for bfloat16, √56 = 7.4833 becomes 7.46875
   * (on purpose since transformers PR #29402, to match the original implementation).
   */
  normalizer: number;
}

/** √C rounded to the checkpoint's `torch_dtype` (round to nearest, ties to even), as the model runs in it. */
export function embeddingNormalizer(hiddenSize: number, torchDtype: unknown): number {
  const x = Math.sqrt(hiddenSize);
  if (torchDtype === "bfloat16") {
    const bits = new Uint32Array(new Float32Array([x]).buffer)[0];
    const rounded = (bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000;
    return new Float32Array(new Uint32Array([rounded >>> 0]).buffer)[0];
  }
  if (torchDtype === "float16") return Math.f16round(x);
  return Math.fround(x);
}

/** The GeLU names transformers maps for Gemma's MLP. */
const ACTIVATIONS: Record<string, "tanh" | "none"> = { gelu_pytorch_tanh: "tanh", gelu_new: "tanh", gelu: "none" };

/** The Gemma-family architecture module. */
export const gemma: Architecture<GemmaSpec> = {
  names: ["GemmaForCausalLM", "Gemma2ForCausalLM"],
  keyPrefixes: [""],
  buffers: /^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/,

  parseConfig(raw, architecture) {
    const c = new ConfigReader(raw, architecture);
    const gemma2 = architecture === "Gemma2ForCausalLM";
    const { hiddenSize, numHeads, numKvHeads, headDim } = readAttentionShape(c, { explicitHeadDim: true });
    const maxPositions = c.int("max_position_embeddings", LIMITS.maxPositions, 8192);
    const numLayers = c.int("num_hidden_layers", LIMITS.numLayers);
    // transformers reads hidden_activation (and defaults it to gelu_pytorch_tanh, whatever
    // hidden_act says, for the original Gemma configs that carry hidden_act "gelu").
    const actKey = raw.hidden_activation != null
      ? "hidden_activation"
      : gemma2 && raw.hidden_act != null
      ? "hidden_act"
      : null;
    const activation = actKey ? c.oneOf(actKey, Object.keys(ACTIVATIONS), "gelu_pytorch_tanh") : "gelu_pytorch_tanh";
    const softcap = (
      key: string,
      fallback: number | null,
    ) => (raw[key] === null ? null : gemma2 ? c.positive(key, fallback ?? 0) : null);
    if (!gemma2) {
      for (const key of ["attn_logit_softcapping", "final_logit_softcapping", "query_pre_attn_scalar"]) {
        if (raw[key] != null) throw c.error(key, "is a Gemma2 field; GemmaForCausalLM does not use it");
      }
    }
    return {
      architecture,
      gemma2,
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
      tieWordEmbeddings: c.bool("tie_word_embeddings", true),
      attentionBias: c.bool("attention_bias", false),
      approximate: ACTIVATIONS[activation],
      scale: gemma2 ? 1 / Math.sqrt(c.positive("query_pre_attn_scalar", 256)) : 1 / Math.sqrt(headDim),
      attnSoftcap: softcap("attn_logit_softcapping", 50),
      logitSoftcap: softcap("final_logit_softcapping", 30),
      layerWindows: gemma2 ? alternatingWindows(c, numLayers) : Array(numLayers).fill(null),
      // Newer transformers write `dtype` where older ones wrote `torch_dtype`.
      normalizer: embeddingNormalizer(hiddenSize, raw.torch_dtype ?? raw.dtype),
    };
  },

  tensors(s) {
    const C = s.hiddenSize, Dq = s.numHeads * s.headDim, Dkv = s.numKvHeads * s.headDim, I = s.intermediateSize;
    const t = new TensorList().add("model.embed_tokens.weight", [s.vocabSize, C]);
    for (let i = 0; i < s.numLayers; i++) {
      const p = `model.layers.${i}.`;
      t.norm(p + "input_layernorm", C, false)
        .linear(p + "self_attn.q_proj", Dq, C, s.attentionBias)
        .linear(p + "self_attn.k_proj", Dkv, C, s.attentionBias)
        .linear(p + "self_attn.v_proj", Dkv, C, s.attentionBias)
        .linear(p + "self_attn.o_proj", C, Dq, s.attentionBias)
        .norm(p + "post_attention_layernorm", C, false);
      if (s.gemma2) t.norm(p + "pre_feedforward_layernorm", C, false).norm(p + "post_feedforward_layernorm", C, false);
      t.linear(p + "mlp.gate_proj", I, C, false).linear(p + "mlp.up_proj", I, C, false).linear(
        p + "mlp.down_proj",
        C,
        I,
        false,
      );
    }
    t.norm("model.norm", C, false);
    if (!s.tieWordEmbeddings) t.add("lm_head.weight", [s.vocabSize, C]);
    return t.tensors;
  },

  headName: (s) => s.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight",

  buildHidden(g, s, w, ids, lora) {
    // Gemma's RMSNorm multiplies by (1 + w).
    const rmsNorm = rmsNorms(g, w, s.rmsNormEps, true);
    const dense = denseLayers(g, ids, lora);
    const linear = (x: string, p: string, bias: boolean, inDim = s.hiddenSize) =>
      dense(x, inDim, w(p + ".weight"), bias ? w(p + ".bias") : undefined, "out_in", p);
    const ctx = attentionContext(ids);
    const rope = rotary(g, ids, s.rope, s.headDim);
    const heads = {
      numHeads: s.numHeads,
      numKvHeads: s.numKvHeads,
      headDim: s.headDim,
      scale: s.scale,
      softcap: s.attnSoftcap,
    };

    const normalizer = g.value(new Float32Array([s.normalizer]), []);
    let h = g.op("Mul", [g.op("Gather", [w("model.embed_tokens.weight"), ids], { axis: 0 }), normalizer]); // (B, T, C)
    for (let i = 0; i < s.numLayers; i++) {
      const p = `model.layers.${i}.`;
      const x = rmsNorm(h, p + "input_layernorm.weight");
      const q = rope(linear(x, p + "self_attn.q_proj", s.attentionBias), s.numHeads);
      const k = rope(linear(x, p + "self_attn.k_proj", s.attentionBias), s.numKvHeads);
      const v = linear(x, p + "self_attn.v_proj", s.attentionBias);
      const a = causalAttention(g, ctx, q, k, v, { ...heads, slidingWindow: s.layerWindows[i] });
      let attnOut = linear(a, p + "self_attn.o_proj", s.attentionBias, s.numHeads * s.headDim);
      if (s.gemma2) attnOut = rmsNorm(attnOut, p + "post_attention_layernorm.weight");
      h = g.op("Add", [h, attnOut]);
      const y = rmsNorm(h, p + (s.gemma2 ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight"));
      const gate = g.op("Gelu", [linear(y, p + "mlp.gate_proj", false)], { approximate: s.approximate });
      let mlp = linear(
        g.op("Mul", [gate, linear(y, p + "mlp.up_proj", false)]),
        p + "mlp.down_proj",
        false,
        s.intermediateSize,
      );
      if (s.gemma2) mlp = rmsNorm(mlp, p + "post_feedforward_layernorm.weight");
      h = g.op("Add", [h, mlp]);
    }
    return rmsNorm(h, "model.norm.weight");
  },
};

/** Gemma2's windows: `layer_types` when given, else sliding on layers 0, 2, 4 … (transformers' rule). */
function alternatingWindows(c: ConfigReader, numLayers: number): (number | null)[] {
  const window = c.int("sliding_window", LIMITS.maxPositions, 4096);
  const types = c.raw.layer_types ??
    Array.from({ length: numLayers }, (_, i) => (i % 2 === 0 ? "sliding_attention" : "full_attention"));
  if (
    !Array.isArray(types) || types.length !== numLayers ||
    !types.every((t) => t === "full_attention" || t === "sliding_attention")
  ) {
    throw c.error(
      "layer_types",
      `must list full_attention or sliding_attention for each of the ${numLayers} layers, got ${previewValue(types)}`,
    );
  }
  return types.map((t) => (t === "sliding_attention" ? window : null));
}
