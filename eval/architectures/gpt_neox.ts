/**
 * GPT-NeoX (transformers' modeling_gpt_neox; Pythia and friends): LayerNorms with biases, one
 * fused `query_key_value` laid out per head (each head's q, k and v rows side by side, so the
 * projection is split after the matmul, not as row blocks), rotary positions on the first
 * `rotary_pct` of each head (base `rotary_emb_base`), a GeLU MLP with biases, and either the
 * parallel residual x + attn(ln₁ x) + mlp(ln₂ x) or the sequential one (`use_parallel_residual`).
 */
import { type GeluApproximation, readGelu } from "./activations.ts";
import { attentionContext, attentionHeads, causalAttention } from "./attention.ts";
import { type BaseSpec, readBaseSpec } from "./base_spec.ts";
import { linearLayers } from "./linear.ts";
import { geluMlp } from "./mlp.ts";
import { layerNorms } from "./norms.ts";
import { rotary } from "./rotary.ts";
import { readRope, type RopeSpec } from "./rope.ts";
import { type Architecture, ConfigReader, LIMITS } from "./spec.ts";
import { TensorList } from "./tensor_list.ts";

/** A validated GPT-NeoX config. */
export interface GptNeoXSpec extends BaseSpec {
  intermediateSize: number;
  layerNormEps: number;
  rope: RopeSpec;
  attentionBias: boolean;
  parallelResidual: boolean;
  approximate: GeluApproximation;
}

/** The GPT-NeoX architecture module. */
export const gptNeoX: Architecture<GptNeoXSpec> = {
  names: ["GPTNeoXForCausalLM"],
  keyPrefixes: [""],
  buffers: /^gpt_neox\.layers\.\d+\.attention\.(bias|masked_bias|rotary_emb\.inv_freq)$/,

  parseConfig(raw, architecture) {
    const c = new ConfigReader(raw, architecture);
    const base = readBaseSpec(c, { maxPositions: 2048, tieWordEmbeddings: false });
    // GPT-NeoX names its RoPE fields rotary_emb_base and rotary_pct; newer configs use the common ones.
    if (raw.rotary_emb_base != null && raw.rope_theta != null) {
      throw c.error("rotary_emb_base", "and rope_theta are both given");
    }
    if (raw.rotary_pct != null && raw.partial_rotary_factor != null) {
      throw c.error("rotary_pct", "and partial_rotary_factor are both given");
    }
    const ropeRaw = {
      ...raw,
      rope_theta: raw.rope_theta ?? raw.rotary_emb_base ?? 10000,
      partial_rotary_factor: raw.partial_rotary_factor ?? raw.rotary_pct ?? 0.25,
    };
    const approximate = readGelu(c, "hidden_act", ["gelu", "gelu_new", "gelu_fast", "gelu_pytorch_tanh"]);
    return {
      ...base,
      intermediateSize: c.int("intermediate_size", LIMITS.intermediateSize, 4 * base.hiddenSize),
      layerNormEps: c.positive("layer_norm_eps", 1e-5),
      rope: readRope(new ConfigReader(ropeRaw, architecture), base),
      attentionBias: c.bool("attention_bias", true),
      parallelResidual: c.bool("use_parallel_residual", true),
      approximate,
    };
  },

  tensors(s) {
    const C = s.hiddenSize, I = s.intermediateSize;
    const t = new TensorList().add("gpt_neox.embed_in.weight", [s.vocabSize, C]);
    for (let i = 0; i < s.numLayers; i++) {
      const p = `gpt_neox.layers.${i}.`;
      t.norm(p + "input_layernorm", C, true)
        .norm(p + "post_attention_layernorm", C, true)
        .linear(p + "attention.query_key_value", 3 * C, C, s.attentionBias)
        .linear(p + "attention.dense", C, C, s.attentionBias)
        .linear(p + "mlp.dense_h_to_4h", I, C, true)
        .linear(p + "mlp.dense_4h_to_h", C, I, true);
    }
    return t.norm("gpt_neox.final_layer_norm", C, true).untiedHead(s, "embed_out.weight").tensors;
  },

  headName: (s) => s.tieWordEmbeddings ? "gpt_neox.embed_in.weight" : "embed_out.weight",

  buildHidden(gc, s) {
    const { g, w, ids } = gc;
    const C = s.hiddenSize, H = s.numHeads, D = s.headDim;
    const layerNorm = layerNorms(gc, s.layerNormEps);
    const linear = linearLayers(gc, { inDim: C, bias: s.attentionBias });
    const ctx = attentionContext(gc);
    const rotate = rotary(gc, s.rope, { headDim: D });
    const rope = (x: string) => rotate(x, H);
    const heads = attentionHeads(s);
    const perHead = g.i64([0, 0, H, 3, D]), flat = g.i64([0, 0, C]);
    // GPTNeoXMLP always has biases, whatever attention_bias says.
    const mlp = {
      g,
      linear,
      up: "dense_h_to_4h",
      down: "dense_4h_to_h",
      inner: s.intermediateSize,
      approximate: s.approximate,
      bias: true,
    };

    let h = g.op("Gather", [w("gpt_neox.embed_in.weight"), ids], { axis: 0 }); // (B, T, C)
    for (let i = 0; i < s.numLayers; i++) {
      const p = `gpt_neox.layers.${i}.`;
      // (B, T, 3C) viewed as (B, T, H, 3, D): each head's q, k, v side by side.
      const qkv = g.op("Reshape", [
        linear(layerNorm(h, p + "input_layernorm"), p + "attention.query_key_value"),
        perHead,
      ]);
      const [q, k, v] = g.ops("Split", [qkv, g.i64([1, 1, 1])], 3, { axis: 3 }).map((part) =>
        g.op("Reshape", [part, flat])
      );
      const a = causalAttention(ctx, [rope(q), rope(k), v], heads);
      const attnOut = linear(a, p + "attention.dense");
      const ffn = (x: string) => geluMlp(mlp, x, p + "mlp.");
      if (s.parallelResidual) {
        h = g.op("Add", [g.op("Add", [h, attnOut]), ffn(layerNorm(h, p + "post_attention_layernorm"))]);
      } else {
        h = g.op("Add", [h, attnOut]);
        h = g.op("Add", [h, ffn(layerNorm(h, p + "post_attention_layernorm"))]);
      }
    }
    return layerNorm(h, "gpt_neox.final_layer_norm");
  },
};
