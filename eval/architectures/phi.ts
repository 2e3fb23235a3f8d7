/**
 * Phi-1, 1.5 and 2 (transformers' modeling_phi): one LayerNorm feeds both the attention and the
 * MLP, whose outputs are added to the residual in parallel; q/k/v and the output `dense` carry
 * biases; rotary positions on the first `partial_rotary_factor` of each head; optional LayerNorms
 * over each head of q and k (`qk_layernorm`); a GeLU (`gelu_new`) MLP with biases;
 * `final_layernorm`, and an output head with a bias.
 */
import { attentionContext, causalAttention } from "./attention.ts";
import { denseLayers } from "./dense.ts";
import { layerNorms } from "./norms.ts";
import { rotary } from "./rotary.ts";
import { readRope, type RopeSpec } from "./rope.ts";
import { type Architecture, ConfigReader, LIMITS, type ModelSpec, readAttentionShape, TensorList } from "./spec.ts";

/** A validated Phi config. */
export interface PhiSpec extends ModelSpec {
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  layerNormEps: number;
  rope: RopeSpec;
  qkLayerNorm: boolean;
  approximate: "tanh" | "none";
}

const ACTIVATIONS: Record<string, "tanh" | "none"> = {
  gelu_new: "tanh",
  gelu_pytorch_tanh: "tanh",
  gelu_fast: "tanh",
  gelu: "none",
};

/** The Phi architecture module. */
export const phi: Architecture<PhiSpec> = {
  names: ["PhiForCausalLM"],
  keyPrefixes: [""],
  buffers: /^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/,

  parseConfig(raw, architecture) {
    const c = new ConfigReader(raw, architecture);
    const { hiddenSize, numHeads, numKvHeads, headDim } = readAttentionShape(c, { explicitHeadDim: false });
    const maxPositions = c.int("max_position_embeddings", LIMITS.maxPositions, 2048);
    const ropeRaw = { ...raw, partial_rotary_factor: raw.partial_rotary_factor ?? 0.5 };
    return {
      architecture,
      vocabSize: c.int("vocab_size", LIMITS.vocabSize),
      hiddenSize,
      numLayers: c.int("num_hidden_layers", LIMITS.numLayers),
      numHeads,
      numKvHeads,
      headDim,
      intermediateSize: c.int("intermediate_size", LIMITS.intermediateSize),
      maxPositions,
      layerNormEps: c.positive("layer_norm_eps", 1e-5),
      rope: readRope(new ConfigReader(ropeRaw, architecture), { headDim, maxPositions }),
      tieWordEmbeddings: c.bool("tie_word_embeddings", false),
      qkLayerNorm: c.bool("qk_layernorm", false),
      approximate: ACTIVATIONS[c.oneOf("hidden_act", Object.keys(ACTIVATIONS), "gelu_new")],
    };
  },

  tensors(s) {
    const C = s.hiddenSize, Dq = s.numHeads * s.headDim, Dkv = s.numKvHeads * s.headDim, I = s.intermediateSize;
    const t = new TensorList().add("model.embed_tokens.weight", [s.vocabSize, C]);
    for (let i = 0; i < s.numLayers; i++) {
      const p = `model.layers.${i}.`;
      t.norm(p + "input_layernorm", C, true)
        .linear(p + "self_attn.q_proj", Dq, C, true)
        .linear(p + "self_attn.k_proj", Dkv, C, true)
        .linear(p + "self_attn.v_proj", Dkv, C, true)
        .linear(p + "self_attn.dense", C, Dq, true);
      if (s.qkLayerNorm) {
        t.norm(p + "self_attn.q_layernorm", s.headDim, true).norm(p + "self_attn.k_layernorm", s.headDim, true);
      }
      t.linear(p + "mlp.fc1", I, C, true).linear(p + "mlp.fc2", C, I, true);
    }
    t.norm("model.final_layernorm", C, true);
    if (!s.tieWordEmbeddings) t.add("lm_head.weight", [s.vocabSize, C]);
    return t.add("lm_head.bias", [s.vocabSize]).tensors;
  },

  headName: (s) => s.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight",
  headBiasName: () => "lm_head.bias",

  buildHidden(g, s, w, ids, lora) {
    const layerNorm = layerNorms(g, w, s.layerNormEps);
    const dense = denseLayers(g, ids, lora);
    const linear = (x: string, p: string, inDim = s.hiddenSize) =>
      dense(x, inDim, w(p + ".weight"), w(p + ".bias"), "out_in", p);
    const ctx = attentionContext(ids);
    const rope = rotary(g, ids, s.rope, s.headDim);
    // qk_layernorm: a LayerNorm over each head's D values, (B, T, H·D) → (B, T, H, D) → back.
    const headNorm = (x: string, heads: number, name: string) => {
      if (!s.qkLayerNorm) return x;
      const perHead = g.op("Reshape", [x, g.i64([0, 0, heads, s.headDim])]);
      return g.op("Reshape", [layerNorm(perHead, name), g.i64([0, 0, heads * s.headDim])]);
    };
    const heads = { numHeads: s.numHeads, numKvHeads: s.numKvHeads, headDim: s.headDim };

    let h = g.op("Gather", [w("model.embed_tokens.weight"), ids], { axis: 0 }); // (B, T, C)
    for (let i = 0; i < s.numLayers; i++) {
      const p = `model.layers.${i}.`;
      const x = layerNorm(h, p + "input_layernorm");
      const q = rope(headNorm(linear(x, p + "self_attn.q_proj"), s.numHeads, p + "self_attn.q_layernorm"), s.numHeads);
      const k = rope(
        headNorm(linear(x, p + "self_attn.k_proj"), s.numKvHeads, p + "self_attn.k_layernorm"),
        s.numKvHeads,
      );
      const v = linear(x, p + "self_attn.v_proj");
      const attnOut = linear(causalAttention(g, ctx, q, k, v, heads), p + "self_attn.dense", s.numHeads * s.headDim);
      const up = g.op("Gelu", [linear(x, p + "mlp.fc1")], { approximate: s.approximate });
      const mlp = linear(up, p + "mlp.fc2", s.intermediateSize);
      h = g.op("Add", [g.op("Add", [h, attnOut]), mlp]);
    }
    return layerNorm(h, "model.final_layernorm");
  },
};
