/**
 * Phi-3 (transformers' modeling_phi3): a Llama-shaped decoder whose attention projections are
 * fused into one `qkv_proj` (rows: queries, then keys, then values) and whose MLP's gate and up
 * projections are fused into one `gate_up_proj` (rows: gate, then up). The parts are read in
 * place as row blocks of the fused weights, never copied. RoPE of any type rope.ts knows
 * (Phi-3's long-context checkpoints use `longrope`), optionally on part of each head
 * (`partial_rotary_factor`), and a sliding window on every layer when `sliding_window` is set.
 */
import { attentionContext, causalAttention } from "./attention.ts";
import { denseLayers } from "./dense.ts";
import { rmsNorms } from "./norms.ts";
import { rotary } from "./rotary.ts";
import { readRope, type RopeSpec } from "./rope.ts";
import {
  type Architecture,
  ConfigReader,
  LIMITS,
  type ModelSpec,
  readAttentionShape,
  type TensorSpec,
} from "./spec.ts";

/** A validated Phi-3 config. */
export interface Phi3Spec extends ModelSpec {
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  rmsNormEps: number;
  rope: RopeSpec;
  slidingWindow: number | null;
}

/** The Phi-3 architecture module. */
export const phi3: Architecture<Phi3Spec> = {
  names: ["Phi3ForCausalLM"],
  keyPrefixes: [""],
  buffers: /^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/,

  parseConfig(raw, architecture) {
    const c = new ConfigReader(raw, architecture);
    const { hiddenSize, numHeads, numKvHeads, headDim } = readAttentionShape(c, { explicitHeadDim: true });
    const maxPositions = c.int("max_position_embeddings", LIMITS.maxPositions, 4096);
    c.oneOf("hidden_act", ["silu"], "silu");
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
      rmsNormEps: c.positive("rms_norm_eps", 1e-5),
      rope: readRope(c, { headDim, maxPositions }),
      tieWordEmbeddings: c.bool("tie_word_embeddings", false),
      slidingWindow: raw.sliding_window == null ? null : c.int("sliding_window", LIMITS.maxPositions),
    };
  },

  tensors(s) {
    const C = s.hiddenSize, Dq = s.numHeads * s.headDim, Dkv = s.numKvHeads * s.headDim, I = s.intermediateSize;
    const t: TensorSpec[] = [{ name: "model.embed_tokens.weight", shape: [s.vocabSize, C] }];
    for (let i = 0; i < s.numLayers; i++) {
      const p = `model.layers.${i}.`;
      t.push(
        { name: p + "input_layernorm.weight", shape: [C] },
        { name: p + "self_attn.qkv_proj.weight", shape: [Dq + 2 * Dkv, C] },
        { name: p + "self_attn.o_proj.weight", shape: [C, Dq] },
        { name: p + "post_attention_layernorm.weight", shape: [C] },
        { name: p + "mlp.gate_up_proj.weight", shape: [2 * I, C] },
        { name: p + "mlp.down_proj.weight", shape: [C, I] },
      );
    }
    t.push({ name: "model.norm.weight", shape: [C] });
    if (!s.tieWordEmbeddings) t.push({ name: "lm_head.weight", shape: [s.vocabSize, C] });
    return t;
  },

  headName: (s) => s.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight",

  buildHidden(g, s, w, ids) {
    const rmsNorm = rmsNorms(g, w, s.rmsNormEps);
    const dense = denseLayers(g, ids);
    const linear = (x: string, weight: string, inDim = s.hiddenSize) => dense(x, inDim, weight, undefined, "out_in");
    const ctx = attentionContext(ids);
    const rope = rotary(g, ids, s.rope, s.headDim);
    const heads = {
      numHeads: s.numHeads,
      numKvHeads: s.numKvHeads,
      headDim: s.headDim,
      slidingWindow: s.slidingWindow,
    };
    const Dq = s.numHeads * s.headDim, Dkv = s.numKvHeads * s.headDim, I = s.intermediateSize;

    let h = g.op("Gather", [w("model.embed_tokens.weight"), ids], { axis: 0 }); // (B, T, C)
    for (let i = 0; i < s.numLayers; i++) {
      const p = `model.layers.${i}.`;
      const qkv = p + "self_attn.qkv_proj.weight", gateUp = p + "mlp.gate_up_proj.weight";
      const x = rmsNorm(h, p + "input_layernorm.weight");
      const q = rope(linear(x, w(qkv, [0, Dq])), s.numHeads);
      const k = rope(linear(x, w(qkv, [Dq, Dkv])), s.numKvHeads);
      const v = linear(x, w(qkv, [Dq + Dkv, Dkv]));
      const a = causalAttention(g, ctx, q, k, v, heads);
      h = g.op("Add", [h, linear(a, w(p + "self_attn.o_proj.weight"), Dq)]);
      const y = rmsNorm(h, p + "post_attention_layernorm.weight");
      const gate = linear(y, w(gateUp, [0, I]));
      const up = linear(y, w(gateUp, [I, I]));
      const silu = g.op("Mul", [gate, g.op("Sigmoid", [gate])]);
      h = g.op("Add", [h, linear(g.op("Mul", [up, silu]), w(p + "mlp.down_proj.weight"), I)]);
    }
    return rmsNorm(h, "model.norm.weight");
  },
};
