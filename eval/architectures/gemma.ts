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
import { gelu, type GeluApproximation, readGelu } from "./activations.ts";
import { attentionContext, attentionHeads, causalAttention } from "./attention.ts";
import { type BaseSpec, readBaseSpec } from "./base_spec.ts";
import { windowsByLayerType } from "./layer_types.ts";
import { linearLayers } from "./linear.ts";
import { EMBED_TOKENS, LLAMA_LAYOUT, llamaLayer } from "./llama_layout.ts";
import { gatedMlp } from "./mlp.ts";
import { rmsNorms } from "./norms.ts";
import { rotary } from "./rotary.ts";
import { readRope, type RopeSpec } from "./rope.ts";
import { type Architecture, ConfigReader, LIMITS } from "./spec.ts";
import { TensorList } from "./tensor_list.ts";

/** A validated Gemma or Gemma2 config. */
export interface GemmaSpec extends BaseSpec {
  gemma2: boolean;
  intermediateSize: number;
  rmsNormEps: number;
  rope: RopeSpec;
  attentionBias: boolean;
  /** The MLP's GeLU: tanh approximation or exact. */
  approximate: GeluApproximation;
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

/** The Gemma-family architecture module. */
export const gemma: Architecture<GemmaSpec> = {
  names: ["GemmaForCausalLM", "Gemma2ForCausalLM"],
  ...LLAMA_LAYOUT,

  parseConfig(raw, architecture) {
    const c = new ConfigReader(raw, architecture);
    const gemma2 = architecture === "Gemma2ForCausalLM";
    const base = readBaseSpec(c, { maxPositions: 8192, tieWordEmbeddings: true, kvHeads: true, headDim: true });
    // transformers reads hidden_activation (and defaults it to gelu_pytorch_tanh, whatever
    // hidden_act says, for the original Gemma configs that carry hidden_act "gelu").
    const actKey = raw.hidden_activation != null
      ? "hidden_activation"
      : gemma2 && raw.hidden_act != null
      ? "hidden_act"
      : null;
    // The GeLU names transformers maps for Gemma's MLP; without the key, gelu_pytorch_tanh.
    const approximate = actKey ? readGelu(c, actKey, ["gelu_pytorch_tanh", "gelu_new", "gelu"]) : "tanh";
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
      ...base,
      gemma2,
      intermediateSize: c.int("intermediate_size", LIMITS.intermediateSize),
      rmsNormEps: c.positive("rms_norm_eps", 1e-6),
      rope: readRope(c, base),
      attentionBias: c.bool("attention_bias", false),
      approximate,
      scale: gemma2 ? 1 / Math.sqrt(c.positive("query_pre_attn_scalar", 256)) : 1 / Math.sqrt(base.headDim),
      attnSoftcap: softcap("attn_logit_softcapping", 50),
      logitSoftcap: softcap("final_logit_softcapping", 30),
      layerWindows: gemma2 ? alternatingWindows(c, base.numLayers) : Array(base.numLayers).fill(null),
      // Newer transformers write `dtype` where older ones wrote `torch_dtype`.
      normalizer: embeddingNormalizer(base.hiddenSize, raw.torch_dtype ?? raw.dtype),
    };
  },

  tensors(s) {
    const C = s.hiddenSize;
    const t = new TensorList().add(EMBED_TOKENS, [s.vocabSize, C]);
    for (let i = 0; i < s.numLayers; i++) {
      const p = llamaLayer(i);
      t.norm(p + "input_layernorm", C, false)
        .attention(p + "self_attn.", s, { bias: s.attentionBias, out: "o_proj" })
        .norm(p + "post_attention_layernorm", C, false);
      if (s.gemma2) t.norm(p + "pre_feedforward_layernorm", C, false).norm(p + "post_feedforward_layernorm", C, false);
      t.gatedMlp(p + "mlp.", C, s.intermediateSize, false);
    }
    return t.norm("model.norm", C, false).untiedHead(s).tensors;
  },

  buildHidden(gc, s) {
    const { g, w, ids } = gc;
    // Gemma's RMSNorm multiplies by (1 + w).
    const rmsNorm = rmsNorms(gc, s.rmsNormEps, { plusOne: true });
    const linear = linearLayers(gc, { inDim: s.hiddenSize, bias: s.attentionBias });
    const ctx = attentionContext(gc);
    const rope = rotary(gc, s.rope, { headDim: s.headDim });
    const heads = attentionHeads(s, { scale: s.scale, softcap: s.attnSoftcap });
    const mlp = { g, linear, act: (x: string) => gelu(g, x, s.approximate), bias: false, inner: s.intermediateSize };

    const normalizer = g.value(new Float32Array([s.normalizer]), []);
    let h = g.op("Mul", [g.op("Gather", [w(EMBED_TOKENS), ids], { axis: 0 }), normalizer]); // (B, T, C)
    for (let i = 0; i < s.numLayers; i++) {
      const p = llamaLayer(i);
      const x = rmsNorm(h, p + "input_layernorm.weight");
      const q = rope(linear(x, p + "self_attn.q_proj"), s.numHeads);
      const k = rope(linear(x, p + "self_attn.k_proj"), s.numKvHeads);
      const v = linear(x, p + "self_attn.v_proj");
      const a = causalAttention(ctx, [q, k, v], { ...heads, slidingWindow: s.layerWindows[i] });
      let attnOut = linear(a, p + "self_attn.o_proj", { inDim: s.numHeads * s.headDim });
      if (s.gemma2) attnOut = rmsNorm(attnOut, p + "post_attention_layernorm.weight");
      h = g.op("Add", [h, attnOut]);
      const y = rmsNorm(h, p + (s.gemma2 ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight"));
      let out = gatedMlp(mlp, y, p + "mlp.");
      if (s.gemma2) out = rmsNorm(out, p + "post_feedforward_layernorm.weight");
      h = g.op("Add", [h, out]);
    }
    return rmsNorm(h, "model.norm.weight");
  },
};

/** Gemma2's windows: `layer_types` when given, else sliding on layers 0, 2, 4 … (transformers' rule). */
function alternatingWindows(c: ConfigReader, numLayers: number): (number | null)[] {
  const window = c.int("sliding_window", LIMITS.maxPositions, 4096);
  const types = c.raw.layer_types ??
    Array.from({ length: numLayers }, (_, i) => (i % 2 === 0 ? "sliding_attention" : "full_attention"));
  return windowsByLayerType(c, types, { numLayers, window });
}
