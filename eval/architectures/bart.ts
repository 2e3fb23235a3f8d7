/**
 * BART's decoder as a causal LM (transformers' BartForCausalLM, modeling_bart): token embeddings
 * (× √d_model with `scale_embedding`) plus learned positions looked up at position + 2 (BART's
 * offset), `layernorm_embedding`, then post-norm blocks: x = LN(x + self_attn(x)), x = LN(x +
 * fc2(gelu(fc1(x)))). The blocks' cross-attention weights are part of the checkpoint (and checked)
 * but unused without an encoder, as in transformers. The head is tied to the embeddings by default.
 */
import { type GeluApproximation, readGelu } from "./activations.ts";
import { attentionContext, attentionHeads, causalAttention } from "./attention.ts";
import { type BaseSpec, readBaseSpec, type SizeKeys } from "./base_spec.ts";
import { linearLayers } from "./linear.ts";
import { geluMlp } from "./mlp.ts";
import { layerNorms } from "./norms.ts";
import { type Architecture, ConfigReader, LIMITS } from "./spec.ts";
import { TensorList } from "./tensor_list.ts";

/** A validated BART decoder config. */
export interface BartSpec extends BaseSpec {
  ffnSize: number;
  embedScale: number;
  approximate: GeluApproximation;
}

/** BartConfig's names for the decoder's sizes. */
const DECODER_KEYS: SizeKeys = {
  hidden: "d_model",
  heads: "decoder_attention_heads",
  layers: "decoder_layers",
  positions: "max_position_embeddings",
};

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
    const base = readBaseSpec(c, { keys: DECODER_KEYS, maxPositions: 1024, tieWordEmbeddings: true });
    return {
      ...base,
      ffnSize: c.int("decoder_ffn_dim", LIMITS.intermediateSize),
      embedScale: c.bool("scale_embedding", false) ? Math.sqrt(base.hiddenSize) : 1,
      approximate: readGelu(c, "activation_function", ["gelu", "gelu_new", "gelu_pytorch_tanh"]),
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
    return t.untiedHead(s).tensors;
  },

  headName: (s) => s.tieWordEmbeddings ? "model.decoder.embed_tokens.weight" : "lm_head.weight",

  buildHidden(gc, s) {
    const { g, w, ids } = gc;
    const layerNorm = layerNorms(gc, LN_EPS);
    const linear = linearLayers(gc, { inDim: s.hiddenSize, bias: true });
    const ctx = attentionContext(gc);
    const heads = attentionHeads(s);
    const mlp = { g, linear, up: "fc1", down: "fc2", inner: s.ffnSize, approximate: s.approximate };

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
      const a = causalAttention(ctx, [q, k, v], heads);
      h = layerNorm(g.op("Add", [h, linear(a, p + "self_attn.out_proj")]), p + "self_attn_layer_norm");
      h = layerNorm(g.op("Add", [h, geluMlp(mlp, h, p)]), p + "final_layer_norm");
    }
    return h;
  },
};
