/**
 * GPT-J (transformers' modeling_gptj): one LayerNorm `ln_1` feeds attention and MLP in
 * parallel, q/k/v and `out_proj` without biases, rotary positions on adjacent pairs
 * (`rotate_every_two`) of each head's first `rotary_dim` dimensions with θ = 10000, a GeLU
 * (`gelu_new`) MLP with biases, `ln_f`, and an output head with a bias.
 */
import { attentionContext, causalAttention } from "./attention.ts";
import { denseLayers } from "./dense.ts";
import { layerNorms } from "./norms.ts";
import { rotary } from "./rotary.ts";
import { readRope, type RopeSpec } from "./rope.ts";
import { type Architecture, ConfigReader, LIMITS, type ModelSpec, TensorList } from "./spec.ts";

/** A validated GPT-J config. */
export interface GptjSpec extends ModelSpec {
  headDim: number;
  intermediateSize: number;
  layerNormEps: number;
  rope: RopeSpec;
  approximate: "tanh" | "none";
}

const ACTIVATIONS: Record<string, "tanh" | "none"> = {
  gelu_new: "tanh",
  gelu_pytorch_tanh: "tanh",
  gelu_fast: "tanh",
  gelu: "none",
};

/** The GPT-J architecture module. */
export const gptj: Architecture<GptjSpec> = {
  names: ["GPTJForCausalLM"],
  keyPrefixes: ["transformer."],
  buffers: /^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/,

  parseConfig(raw, architecture) {
    const c = new ConfigReader(raw, architecture);
    const hiddenSize = c.int("n_embd", LIMITS.hiddenSize);
    const numHeads = c.int("n_head", LIMITS.numHeads);
    c.divisible("n_embd", hiddenSize, "n_head", numHeads);
    const headDim = hiddenSize / numHeads;
    const maxPositions = c.int("n_positions", LIMITS.maxPositions, 2048);
    const rotaryDim = raw.rotary_dim == null ? headDim : c.int("rotary_dim", headDim);
    // GPT-J's rotation is fixed by its modelling code: θ = 10000 over rotary_dim dimensions.
    const ropeConfig = new ConfigReader(
      { rope_theta: 10000, partial_rotary_factor: rotaryDim / headDim },
      architecture,
    );
    return {
      architecture,
      vocabSize: c.int("vocab_size", LIMITS.vocabSize),
      hiddenSize,
      numLayers: c.int("n_layer", LIMITS.numLayers),
      numHeads,
      headDim,
      intermediateSize: c.int("n_inner", LIMITS.intermediateSize, 4 * hiddenSize),
      maxPositions,
      layerNormEps: c.positive("layer_norm_epsilon", 1e-5),
      rope: readRope(ropeConfig, { headDim, maxPositions }),
      tieWordEmbeddings: c.bool("tie_word_embeddings", false),
      approximate: ACTIVATIONS[c.oneOf("activation_function", Object.keys(ACTIVATIONS), "gelu_new")],
    };
  },

  tensors(s) {
    const C = s.hiddenSize, I = s.intermediateSize;
    const t = new TensorList().add("transformer.wte.weight", [s.vocabSize, C]);
    for (let i = 0; i < s.numLayers; i++) {
      const p = `transformer.h.${i}.`;
      t.norm(p + "ln_1", C, true)
        .linear(p + "attn.q_proj", C, C, false)
        .linear(p + "attn.k_proj", C, C, false)
        .linear(p + "attn.v_proj", C, C, false)
        .linear(p + "attn.out_proj", C, C, false)
        .linear(p + "mlp.fc_in", I, C, true)
        .linear(p + "mlp.fc_out", C, I, true);
    }
    t.norm("transformer.ln_f", C, true);
    if (!s.tieWordEmbeddings) t.add("lm_head.weight", [s.vocabSize, C]);
    return t.add("lm_head.bias", [s.vocabSize]).tensors;
  },

  headName: (s) => s.tieWordEmbeddings ? "transformer.wte.weight" : "lm_head.weight",
  headBiasName: () => "lm_head.bias",

  buildHidden(g, s, w, ids, lora) {
    const C = s.hiddenSize;
    const layerNorm = layerNorms(g, w, s.layerNormEps);
    const dense = denseLayers(g, ids, lora);
    const linear = (x: string, p: string, bias: boolean, inDim = C) =>
      dense(x, inDim, w(p + ".weight"), bias ? w(p + ".bias") : undefined, "out_in", p);
    const ctx = attentionContext(ids);
    const rotate = rotary(g, ids, s.rope, s.headDim, { interleaved: true });
    const rope = (x: string) => rotate(x, s.numHeads);
    const heads = { numHeads: s.numHeads, numKvHeads: s.numHeads, headDim: s.headDim };

    let h = g.op("Gather", [w("transformer.wte.weight"), ids], { axis: 0 }); // (B, T, C)
    for (let i = 0; i < s.numLayers; i++) {
      const p = `transformer.h.${i}.`;
      const x = layerNorm(h, p + "ln_1");
      const q = rope(linear(x, p + "attn.q_proj", false));
      const k = rope(linear(x, p + "attn.k_proj", false));
      const v = linear(x, p + "attn.v_proj", false);
      const attnOut = linear(causalAttention(g, ctx, q, k, v, heads), p + "attn.out_proj", false);
      const up = g.op("Gelu", [linear(x, p + "mlp.fc_in", true)], { approximate: s.approximate });
      h = g.op("Add", [g.op("Add", [h, attnOut]), linear(up, p + "mlp.fc_out", true, s.intermediateSize)]);
    }
    return layerNorm(h, "transformer.ln_f");
  },
};
