/**
 * GPT-2 (`GPT2LMHeadModel`), as Hugging Face stores it: Conv1D weights laid out (in, out), learned
 * positions, pre-LayerNorm blocks, tanh-GELU MLP, output head tied to `wte` unless untied.
 */
import { attentionContext, causalAttention } from "./attention.ts";
import { denseLayers } from "./dense.ts";
import { layerNorms } from "./norms.ts";
import { type Architecture, ConfigReader, LIMITS, type ModelSpec, TensorList } from "./spec.ts";

/** A validated GPT-2 config. */
export interface Gpt2Spec extends ModelSpec {
  innerSize: number;
  layerNormEps: number;
  activation: "gelu_new" | "gelu_pytorch_tanh" | "gelu";
}

/** The GPT-2 architecture module. */
export const gpt2: Architecture<Gpt2Spec> = {
  names: ["GPT2LMHeadModel"],
  keyPrefixes: ["transformer.", ""],
  buffers: /^(transformer\.)?h\.\d+\.attn\.(bias|masked_bias)$/,

  parseConfig(raw, architecture) {
    const c = new ConfigReader(raw, architecture);
    const hiddenSize = c.int("n_embd", LIMITS.hiddenSize);
    const numHeads = c.int("n_head", LIMITS.numHeads);
    c.divisible("n_embd", hiddenSize, "n_head", numHeads);
    if (c.bool("scale_attn_by_inverse_layer_idx", false)) {
      throw c.error("scale_attn_by_inverse_layer_idx", "= true is not supported");
    }
    if (!c.bool("scale_attn_weights", true)) throw c.error("scale_attn_weights", "= false is not supported");
    return {
      architecture,
      vocabSize: c.int("vocab_size", LIMITS.vocabSize),
      hiddenSize,
      numLayers: c.int("n_layer", LIMITS.numLayers),
      numHeads,
      maxPositions: c.int("n_positions", LIMITS.maxPositions),
      innerSize: c.int("n_inner", LIMITS.intermediateSize, 4 * hiddenSize),
      layerNormEps: c.positive("layer_norm_epsilon", 1e-5),
      activation: c.oneOf("activation_function", ["gelu_new", "gelu_pytorch_tanh", "gelu"], "gelu_new"),
      tieWordEmbeddings: c.bool("tie_word_embeddings", true),
    };
  },

  tensors(s) {
    const C = s.hiddenSize;
    const t = new TensorList().add("transformer.wte.weight", [s.vocabSize, C])
      .add("transformer.wpe.weight", [s.maxPositions, C]);
    for (let i = 0; i < s.numLayers; i++) {
      const p = `transformer.h.${i}.`;
      t.norm(p + "ln_1", C, true)
        .conv1d(p + "attn.c_attn", C, 3 * C)
        .conv1d(p + "attn.c_proj", C, C)
        .norm(p + "ln_2", C, true)
        .conv1d(p + "mlp.c_fc", C, s.innerSize)
        .conv1d(p + "mlp.c_proj", s.innerSize, C);
    }
    t.norm("transformer.ln_f", C, true);
    if (!s.tieWordEmbeddings) t.add("lm_head.weight", [s.vocabSize, C]);
    return t.tensors;
  },

  headName: (s) => s.tieWordEmbeddings ? "transformer.wte.weight" : "lm_head.weight",

  buildHidden(g, s, w, ids, lora) {
    const layerNorm = layerNorms(g, w, s.layerNormEps);
    // Conv1D: x (B, T, in) @ W (in, out) + b
    const dense = denseLayers(g, ids, lora);
    const conv1d = (x: string, p: string, inDim: number) =>
      dense(x, inDim, w(p + ".weight"), w(p + ".bias"), "in_out", p);

    const T = g.dim(ids, 1);
    const positions = g.op("Slice", [w("transformer.wpe.weight"), g.i64([0]), T, g.i64([0])]); // (T, C)
    let h = g.op("Add", [g.op("Gather", [w("transformer.wte.weight"), ids], { axis: 0 }), positions]); // (B, T, C)
    const ctx = attentionContext(ids);
    const heads = { numHeads: s.numHeads, numKvHeads: s.numHeads, headDim: s.hiddenSize / s.numHeads };

    for (let i = 0; i < s.numLayers; i++) {
      const p = `transformer.h.${i}.`;
      const qkv = conv1d(layerNorm(h, p + "ln_1"), p + "attn.c_attn", s.hiddenSize); // (B, T, 3C)
      const [q, k, v] = g.ops("Split", [qkv], 3, { axis: -1, num_outputs: 3 }); // 3 × (B, T, C)
      const a = causalAttention(g, ctx, q, k, v, heads); // (B, T, C)
      h = g.op("Add", [h, conv1d(a, p + "attn.c_proj", s.hiddenSize)]);
      const m = conv1d(layerNorm(h, p + "ln_2"), p + "mlp.c_fc", s.hiddenSize); // (B, T, inner)
      const act = g.op("Gelu", [m], { approximate: s.activation === "gelu" ? "none" : "tanh" });
      h = g.op("Add", [h, conv1d(act, p + "mlp.c_proj", s.innerSize)]);
    }
    return layerNorm(h, "transformer.ln_f");
  },
};
