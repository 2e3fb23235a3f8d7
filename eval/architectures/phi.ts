/**
 * Phi-1, 1.5 and 2 (transformers' modeling_phi): one LayerNorm feeds both the attention and the
 * MLP, whose outputs are added to the residual in parallel; q/k/v and the output `dense` carry
 * biases; rotary positions on the first `partial_rotary_factor` of each head; optional LayerNorms
 * over each head of q and k (`qk_layernorm`); a GeLU (`gelu_new`) MLP with biases;
 * `final_layernorm`, and an output head with a bias.
 */
import { type GeluApproximation, readGelu } from "./activations.ts";
import { attentionContext, attentionHeads, causalAttention } from "./attention.ts";
import { type BaseSpec, readBaseSpec } from "./base_spec.ts";
import { linearLayers } from "./linear.ts";
import { EMBED_TOKENS, LLAMA_LAYOUT, llamaLayer } from "./llama_layout.ts";
import { geluMlp } from "./mlp.ts";
import { layerNorms, perHeadNorms } from "./norms.ts";
import { rotary } from "./rotary.ts";
import { readRope, type RopeSpec } from "./rope.ts";
import { type Architecture, ConfigReader, LIMITS } from "./spec.ts";
import { TensorList } from "./tensor_list.ts";

/** A validated Phi config. */
export interface PhiSpec extends BaseSpec {
  intermediateSize: number;
  layerNormEps: number;
  rope: RopeSpec;
  qkLayerNorm: boolean;
  approximate: GeluApproximation;
}

/** The Phi architecture module. */
export const phi: Architecture<PhiSpec> = {
  names: ["PhiForCausalLM"],
  ...LLAMA_LAYOUT,

  parseConfig(raw, architecture) {
    const c = new ConfigReader(raw, architecture);
    const base = readBaseSpec(c, { maxPositions: 2048, tieWordEmbeddings: false, kvHeads: true });
    const ropeRaw = { ...raw, partial_rotary_factor: raw.partial_rotary_factor ?? 0.5 };
    return {
      ...base,
      intermediateSize: c.int("intermediate_size", LIMITS.intermediateSize),
      layerNormEps: c.positive("layer_norm_eps", 1e-5),
      rope: readRope(new ConfigReader(ropeRaw, architecture), base),
      qkLayerNorm: c.bool("qk_layernorm", false),
      approximate: readGelu(c, "hidden_act", ["gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu"]),
    };
  },

  tensors(s) {
    const C = s.hiddenSize, D = s.headDim, I = s.intermediateSize;
    const t = new TensorList().add(EMBED_TOKENS, [s.vocabSize, C]);
    for (let i = 0; i < s.numLayers; i++) {
      const p = llamaLayer(i);
      t.norm(p + "input_layernorm", C, true).attention(p + "self_attn.", s, { bias: true, out: "dense" });
      if (s.qkLayerNorm) t.norm(p + "self_attn.q_layernorm", D, true).norm(p + "self_attn.k_layernorm", D, true);
      t.linear(p + "mlp.fc1", I, C, true).linear(p + "mlp.fc2", C, I, true);
    }
    return t.norm("model.final_layernorm", C, true).untiedHead(s).add("lm_head.bias", [s.vocabSize]).tensors;
  },

  headBiasName: () => "lm_head.bias",

  buildHidden(gc, s) {
    const { g, w, ids } = gc;
    const layerNorm = layerNorms(gc, s.layerNormEps);
    const linear = linearLayers(gc, { inDim: s.hiddenSize, bias: true });
    const ctx = attentionContext(gc);
    const rope = rotary(gc, s.rope, { headDim: s.headDim });
    // qk_layernorm: a LayerNorm over each head's D values.
    const perHead = perHeadNorms(g, layerNorm, s.headDim);
    const headNorm = (x: string, heads: number, name: string) => s.qkLayerNorm ? perHead(x, heads, name) : x;
    const heads = attentionHeads(s);
    const mlp = { g, linear, up: "fc1", down: "fc2", inner: s.intermediateSize, approximate: s.approximate };

    let h = g.op("Gather", [w(EMBED_TOKENS), ids], { axis: 0 }); // (B, T, C)
    for (let i = 0; i < s.numLayers; i++) {
      const p = llamaLayer(i);
      const x = layerNorm(h, p + "input_layernorm");
      const q = rope(headNorm(linear(x, p + "self_attn.q_proj"), s.numHeads, p + "self_attn.q_layernorm"), s.numHeads);
      const k = rope(
        headNorm(linear(x, p + "self_attn.k_proj"), s.numKvHeads, p + "self_attn.k_layernorm"),
        s.numKvHeads,
      );
      const v = linear(x, p + "self_attn.v_proj");
      const a = causalAttention(ctx, [q, k, v], heads);
      const attnOut = linear(a, p + "self_attn.dense", { inDim: s.numHeads * s.headDim });
      // PhiDecoderLayer: attention and MLP both read the one LayerNorm's output, in parallel.
      const out = geluMlp(mlp, x, p + "mlp.");
      h = g.op("Add", [g.op("Add", [h, attnOut]), out]);
    }
    return layerNorm(h, "model.final_layernorm");
  },
};
