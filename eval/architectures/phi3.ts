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
import { type Architecture, ConfigReader, LIMITS, type ModelSpec, readAttentionShape, TensorList } from "./spec.ts";

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
    const t = new TensorList().add("model.embed_tokens.weight", [s.vocabSize, C]);
    for (let i = 0; i < s.numLayers; i++) {
      const p = `model.layers.${i}.`;
      t.norm(p + "input_layernorm", C, false)
        .linear(p + "self_attn.qkv_proj", Dq + 2 * Dkv, C, false)
        .linear(p + "self_attn.o_proj", C, Dq, false)
        .norm(p + "post_attention_layernorm", C, false)
        .linear(p + "mlp.gate_up_proj", 2 * I, C, false)
        .linear(p + "mlp.down_proj", C, I, false);
    }
    t.norm("model.norm", C, false);
    if (!s.tieWordEmbeddings) t.add("lm_head.weight", [s.vocabSize, C]);
    return t.tensors;
  },

  headName: (s) => s.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight",

  buildHidden(g, s, w, ids, lora) {
    const rmsNorm = rmsNorms(g, w, s.rmsNormEps);
    const dense = denseLayers(g, ids, lora);
    // A projection, or rows [start, count) of a fused one, read in place; an adapter on the fused
    // module applies to each part's rows.
    const linear = (x: string, module: string, rows?: [number, number], inDim = s.hiddenSize) =>
      dense(x, inDim, w(module + ".weight", rows), undefined, "out_in", module, rows);
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
      const qkv = p + "self_attn.qkv_proj", gateUp = p + "mlp.gate_up_proj";
      const x = rmsNorm(h, p + "input_layernorm.weight");
      const q = rope(linear(x, qkv, [0, Dq]), s.numHeads);
      const k = rope(linear(x, qkv, [Dq, Dkv]), s.numKvHeads);
      const v = linear(x, qkv, [Dq + Dkv, Dkv]);
      const a = causalAttention(g, ctx, q, k, v, heads);
      h = g.op("Add", [h, linear(a, p + "self_attn.o_proj", undefined, Dq)]);
      const y = rmsNorm(h, p + "post_attention_layernorm.weight");
      const gate = linear(y, gateUp, [0, I]);
      const up = linear(y, gateUp, [I, I]);
      const silu = g.op("Mul", [gate, g.op("Sigmoid", [gate])]);
      h = g.op("Add", [h, linear(g.op("Mul", [up, silu]), p + "mlp.down_proj", undefined, I)]);
    }
    return rmsNorm(h, "model.norm.weight");
  },
};
