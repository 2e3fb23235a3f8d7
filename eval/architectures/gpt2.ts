/**
 * GPT-2 (`GPT2LMHeadModel`), as Hugging Face stores it: Conv1D weights laid out (in, out), learned
 * positions, pre-LayerNorm blocks, tanh-GELU MLP, output head tied to `wte` unless untied.
 */
import { type GeluApproximation, readGelu } from "./activations.ts";
import { attentionContext, attentionHeads, causalAttention } from "./attention.ts";
import { type BaseSpec, GPT2_KEYS, readBaseSpec } from "./base_spec.ts";
import { gpt2Layer, LN_F } from "./gpt2_layout.ts";
import { linearLayers } from "./linear.ts";
import { geluMlp } from "./mlp.ts";
import { layerNorms } from "./norms.ts";
import { type Architecture, ConfigReader, LIMITS } from "./spec.ts";
import { TensorList } from "./tensor_list.ts";

/** A validated GPT-2 config. */
export interface Gpt2Spec extends BaseSpec {
  innerSize: number;
  layerNormEps: number;
  approximate: GeluApproximation;
}

/** The GPT-2 architecture module. */
export const gpt2: Architecture<Gpt2Spec> = {
  names: ["GPT2LMHeadModel"],
  keyPrefixes: ["transformer.", ""],
  buffers: /^(transformer\.)?h\.\d+\.attn\.(bias|masked_bias)$/,

  parseConfig(raw, architecture) {
    const c = new ConfigReader(raw, architecture);
    const base = readBaseSpec(c, { keys: GPT2_KEYS, tieWordEmbeddings: true });
    if (c.bool("scale_attn_by_inverse_layer_idx", false)) {
      throw c.error("scale_attn_by_inverse_layer_idx", "= true is not supported");
    }
    if (!c.bool("scale_attn_weights", true)) throw c.error("scale_attn_weights", "= false is not supported");
    return {
      ...base,
      innerSize: c.int("n_inner", LIMITS.intermediateSize, 4 * base.hiddenSize),
      layerNormEps: c.positive("layer_norm_epsilon", 1e-5),
      approximate: readGelu(c, "activation_function", ["gelu_new", "gelu_pytorch_tanh", "gelu"]),
    };
  },

  tensors(s) {
    const C = s.hiddenSize;
    const t = new TensorList().add("transformer.wte.weight", [s.vocabSize, C])
      .add("transformer.wpe.weight", [s.maxPositions, C]);
    for (let i = 0; i < s.numLayers; i++) {
      const p = gpt2Layer(i);
      t.norm(p + "ln_1", C, true)
        .conv1d(p + "attn.c_attn", C, 3 * C)
        .conv1d(p + "attn.c_proj", C, C)
        .norm(p + "ln_2", C, true)
        .conv1d(p + "mlp.c_fc", C, s.innerSize)
        .conv1d(p + "mlp.c_proj", s.innerSize, C);
    }
    return t.norm(LN_F, C, true).untiedHead(s).tensors;
  },

  headName: (s) => s.tieWordEmbeddings ? "transformer.wte.weight" : "lm_head.weight",

  buildHidden(gc, s) {
    const { g, w, ids } = gc;
    const layerNorm = layerNorms(gc, s.layerNormEps);
    // Conv1D: x (B, T, in) @ W (in, out) + b
    const conv1d = linearLayers(gc, { inDim: s.hiddenSize, bias: true, layout: "in_out" });
    const mlp = { g, linear: conv1d, up: "c_fc", down: "c_proj", inner: s.innerSize, approximate: s.approximate };

    const T = g.dim(ids, 1);
    const positions = g.op("Slice", [w("transformer.wpe.weight"), g.i64([0]), T, g.i64([0])]); // (T, C)
    let h = g.op("Add", [g.op("Gather", [w("transformer.wte.weight"), ids], { axis: 0 }), positions]); // (B, T, C)
    const ctx = attentionContext(gc);
    const heads = attentionHeads(s);

    for (let i = 0; i < s.numLayers; i++) {
      const p = gpt2Layer(i);
      const qkv = conv1d(layerNorm(h, p + "ln_1"), p + "attn.c_attn"); // (B, T, 3C)
      const [q, k, v] = g.ops("Split", [qkv], 3, { axis: -1, num_outputs: 3 }); // 3 × (B, T, C)
      const a = causalAttention(ctx, [q, k, v], heads); // (B, T, C)
      h = g.op("Add", [h, conv1d(a, p + "attn.c_proj")]);
      h = g.op("Add", [h, geluMlp(mlp, layerNorm(h, p + "ln_2"), p + "mlp.")]);
    }
    return layerNorm(h, LN_F);
  },
};
