/**
 * Phi-3 (transformers' modeling_phi3): a Llama-shaped decoder whose attention projections are
 * fused into one `qkv_proj` (rows: queries, then keys, then values) and whose MLP's gate and up
 * projections are fused into one `gate_up_proj` (rows: gate, then up). The parts are read in
 * place as row blocks of the fused weights, never copied. RoPE of any type rope.ts knows
 * (Phi-3's long-context checkpoints use `longrope`), optionally on part of each head
 * (`partial_rotary_factor`), and a sliding window on every layer when `sliding_window` is set.
 */
import { silu } from "./activations.ts";
import { attentionContext, attentionHeads, causalAttention } from "./attention.ts";
import { type BaseSpec, readBaseSpec } from "./base_spec.ts";
import { linearLayers } from "./linear.ts";
import { EMBED_TOKENS, LLAMA_LAYOUT, llamaLayer } from "./llama_layout.ts";
import { rmsNorms } from "./norms.ts";
import { rotary } from "./rotary.ts";
import { readRope, type RopeSpec } from "./rope.ts";
import { type Architecture, ConfigReader, LIMITS } from "./spec.ts";
import { TensorList } from "./tensor_list.ts";

/** A validated Phi-3 config. */
export interface Phi3Spec extends BaseSpec {
  intermediateSize: number;
  rmsNormEps: number;
  rope: RopeSpec;
  slidingWindow: number | null;
}

/** The Phi-3 architecture module. */
export const phi3: Architecture<Phi3Spec> = {
  names: ["Phi3ForCausalLM"],
  ...LLAMA_LAYOUT,

  parseConfig(raw, architecture) {
    const c = new ConfigReader(raw, architecture);
    const base = readBaseSpec(c, { maxPositions: 4096, tieWordEmbeddings: false, kvHeads: true, headDim: true });
    c.oneOf("hidden_act", ["silu"], "silu");
    return {
      ...base,
      intermediateSize: c.int("intermediate_size", LIMITS.intermediateSize),
      rmsNormEps: c.positive("rms_norm_eps", 1e-5),
      rope: readRope(c, base),
      slidingWindow: raw.sliding_window == null ? null : c.int("sliding_window", LIMITS.maxPositions),
    };
  },

  tensors(s) {
    const C = s.hiddenSize, Dq = s.numHeads * s.headDim, Dkv = s.numKvHeads * s.headDim, I = s.intermediateSize;
    const t = new TensorList().add(EMBED_TOKENS, [s.vocabSize, C]);
    for (let i = 0; i < s.numLayers; i++) {
      const p = llamaLayer(i);
      t.norm(p + "input_layernorm", C, false)
        .linear(p + "self_attn.qkv_proj", Dq + 2 * Dkv, C, false)
        .linear(p + "self_attn.o_proj", C, Dq, false)
        .norm(p + "post_attention_layernorm", C, false)
        .linear(p + "mlp.gate_up_proj", 2 * I, C, false)
        .linear(p + "mlp.down_proj", C, I, false);
    }
    return t.norm("model.norm", C, false).untiedHead(s).tensors;
  },

  buildHidden(gc, s) {
    const { g, w, ids } = gc;
    const Dq = s.numHeads * s.headDim, Dkv = s.numKvHeads * s.headDim, I = s.intermediateSize;
    const rmsNorm = rmsNorms(gc, s.rmsNormEps);
    // A projection, or rows [start, count) of a fused one, read in place; an adapter on the fused
    // module applies to each part's rows.
    const linear = linearLayers(gc, { inDim: s.hiddenSize, bias: false });
    const ctx = attentionContext(gc);
    const rope = rotary(gc, s.rope, { headDim: s.headDim });
    const heads = attentionHeads(s, { slidingWindow: s.slidingWindow });

    let h = g.op("Gather", [w(EMBED_TOKENS), ids], { axis: 0 }); // (B, T, C)
    for (let i = 0; i < s.numLayers; i++) {
      const p = llamaLayer(i);
      const qkv = p + "self_attn.qkv_proj", gateUp = p + "mlp.gate_up_proj";
      const x = rmsNorm(h, p + "input_layernorm.weight");
      const q = rope(linear(x, qkv, { rows: [0, Dq] }), s.numHeads);
      const k = rope(linear(x, qkv, { rows: [Dq, Dkv] }), s.numKvHeads);
      const v = linear(x, qkv, { rows: [Dq + Dkv, Dkv] });
      const a = causalAttention(ctx, [q, k, v], heads);
      h = g.op("Add", [h, linear(a, p + "self_attn.o_proj", { inDim: Dq })]);
      // Phi3MLP: gate_up_proj's rows are the gate, then up; up · silu(gate).
      const y = rmsNorm(h, p + "post_attention_layernorm.weight");
      const gate = linear(y, gateUp, { rows: [0, I] });
      const up = linear(y, gateUp, { rows: [I, I] });
      h = g.op("Add", [h, linear(g.op("Mul", [up, silu(g, gate)]), p + "mlp.down_proj", { inDim: I })]);
    }
    return rmsNorm(h, "model.norm.weight");
  },
};
