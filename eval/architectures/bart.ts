/**
 * BART's decoder as a causal LM (transformers' BartForCausalLM, modeling_bart): token embeddings
 * (× √d_model with `scale_embedding`) plus learned positions looked up at position + 2 (BART's
 * offset), `layernorm_embedding`, then post-norm blocks: x = LN(x + self_attn(x)), x = LN(x +
 * fc2(gelu(fc1(x)))). The blocks' cross-attention weights are part of the checkpoint (and checked)
 * but unused without an encoder, as in transformers. The head is tied to the embeddings by default.
 */
import { attentionContext, causalAttention } from "./attention.ts";
import { denseLayers } from "./dense.ts";
import { layerNorms } from "./norms.ts";
import { type Architecture, ConfigReader, LIMITS, type ModelSpec, TensorList } from "./spec.ts";

/** A validated BART decoder config. */
export interface BartSpec extends ModelSpec {
  ffnSize: number;
  embedScale: number;
  approximate: "tanh" | "none";
}

const ACTIVATIONS: Record<string, "tanh" | "none"> = { gelu: "none", gelu_new: "tanh", gelu_pytorch_tanh: "tanh" };
/** BART looks positions up at position + 2 (its learned embedding has two extra rows). */
const POSITION_OFFSET = 2;
/** nn.LayerNorm's default, which BART uses. */
const LN_EPS = 1e-5;

/** The BART-decoder architecture module. */
export const bart: Architecture<BartSpec> = {
  names: ["BartForCausalLM"],
  keyPrefixes: [""],
  buffers: /^$/,

  parseConfig(raw, architecture) {
    const c = new ConfigReader(raw, architecture);
    const hiddenSize = c.int("d_model", LIMITS.hiddenSize);
    const numHeads = c.int("decoder_attention_heads", LIMITS.numHeads);
    c.divisible("d_model", hiddenSize, "decoder_attention_heads", numHeads);
    return {
      architecture,
      vocabSize: c.int("vocab_size", LIMITS.vocabSize),
      hiddenSize,
      numLayers: c.int("decoder_layers", LIMITS.numLayers),
      numHeads,
      ffnSize: c.int("decoder_ffn_dim", LIMITS.intermediateSize),
      maxPositions: c.int("max_position_embeddings", LIMITS.maxPositions, 1024),
      tieWordEmbeddings: c.bool("tie_word_embeddings", true),
      embedScale: c.bool("scale_embedding", false) ? Math.sqrt(hiddenSize) : 1,
      approximate: ACTIVATIONS[c.oneOf("activation_function", Object.keys(ACTIVATIONS), "gelu")],
    };
  },

  tensors(s) {
    const C = s.hiddenSize;
    const t = new TensorList()
      .add("model.decoder.embed_tokens.weight", [s.vocabSize, C])
      .add("model.decoder.embed_positions.weight", [s.maxPositions + POSITION_OFFSET, C])
      .norm("model.decoder.layernorm_embedding", C, true);
    for (let i = 0; i < s.numLayers; i++) {
      const p = `model.decoder.layers.${i}.`;
      for (const attn of ["self_attn", "encoder_attn"]) {
        for (const proj of ["k_proj", "v_proj", "q_proj", "out_proj"]) t.linear(`${p}${attn}.${proj}`, C, C, true);
        t.norm(`${p}${attn}_layer_norm`, C, true);
      }
      t.linear(p + "fc1", s.ffnSize, C, true).linear(p + "fc2", C, s.ffnSize, true).norm(
        p + "final_layer_norm",
        C,
        true,
      );
    }
    if (!s.tieWordEmbeddings) t.add("lm_head.weight", [s.vocabSize, C]);
    return t.tensors;
  },

  headName: (s) => s.tieWordEmbeddings ? "model.decoder.embed_tokens.weight" : "lm_head.weight",

  buildHidden(g, s, w, ids, lora) {
    const C = s.hiddenSize;
    const layerNorm = layerNorms(g, w, LN_EPS);
    const dense = denseLayers(g, ids, lora);
    const linear = (x: string, p: string, inDim = C) => dense(x, inDim, w(p + ".weight"), w(p + ".bias"), "out_in", p);
    const ctx = attentionContext(ids);
    const heads = { numHeads: s.numHeads, numKvHeads: s.numHeads, headDim: C / s.numHeads };

    const T = g.dim(ids, 1);
    const positions = g.op("Slice", [
      w("model.decoder.embed_positions.weight"),
      g.i64([POSITION_OFFSET]),
      g.op("Add", [T, g.i64([POSITION_OFFSET])]),
      g.i64([0]),
    ]); // (T, C)
    let tokens = g.op("Gather", [w("model.decoder.embed_tokens.weight"), ids], { axis: 0 }); // (B, T, C)
    if (s.embedScale !== 1) tokens = g.op("Mul", [tokens, g.value(new Float32Array([s.embedScale]), [])]);
    let h = layerNorm(g.op("Add", [tokens, positions]), "model.decoder.layernorm_embedding");
    for (let i = 0; i < s.numLayers; i++) {
      const p = `model.decoder.layers.${i}.`;
      const q = linear(h, p + "self_attn.q_proj"),
        k = linear(h, p + "self_attn.k_proj"),
        v = linear(h, p + "self_attn.v_proj");
      const a = causalAttention(g, ctx, q, k, v, heads);
      h = layerNorm(g.op("Add", [h, linear(a, p + "self_attn.out_proj")]), p + "self_attn_layer_norm");
      const up = g.op("Gelu", [linear(h, p + "fc1")], { approximate: s.approximate });
      h = layerNorm(g.op("Add", [h, linear(up, p + "fc2", s.ffnSize)]), p + "final_layer_norm");
    }
    return h;
  },
};
