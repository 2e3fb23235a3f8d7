/**
 * GPT-J (transformers' modeling_gptj): one LayerNorm `ln_1` feeds attention and MLP in
 * parallel, q/k/v and `out_proj` without biases, rotary positions on adjacent pairs
 * (`rotate_every_two`) of each head's first `rotary_dim` dimensions with θ = 10000, a GeLU
 * (`gelu_new`) MLP with biases, `ln_f`, and an output head with a bias.
 */
import { type GeluApproximation, type GeluName, readGelu } from "./activations.ts";
import { attentionContext, attentionHeads, causalAttention } from "./attention.ts";
import { type BaseSpec, GPT2_KEYS, readBaseSpec } from "./base_spec.ts";
import { gpt2Layer, LN_F } from "./gpt2_layout.ts";
import { linearLayers } from "./linear.ts";
import { geluMlp } from "./mlp.ts";
import { layerNorms } from "./norms.ts";
import { rotary } from "./rotary.ts";
import { readRope, type RopeSpec } from "./rope.ts";
import { type Architecture, ConfigReader, LIMITS } from "./spec.ts";
import { TensorList } from "./tensor_list.ts";

/** A validated GPT-J config. */
export interface GptjSpec extends BaseSpec {
  intermediateSize: number;
  layerNormEps: number;
  rope: RopeSpec;
  approximate: GeluApproximation;
}

/** The `activation_function` values GPT-J's MLP may name. */
const GELUS: readonly [GeluName, ...GeluName[]] = ["gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu"];

/** The GPT-J architecture module. */
export const gptj: Architecture<GptjSpec> = {
  names: ["GPTJForCausalLM"],
  keyPrefixes: ["transformer."],
  buffers: /^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/,

  parseConfig(raw, architecture) {
    const c = new ConfigReader(raw, architecture);
    const base = readBaseSpec(c, { keys: GPT2_KEYS, maxPositions: 2048, tieWordEmbeddings: false });
    const rotaryDim = raw.rotary_dim == null ? base.headDim : c.int("rotary_dim", base.headDim);
    // GPT-J's rotation is fixed by its modelling code: θ = 10000 over rotary_dim dimensions.
    const ropeConfig = new ConfigReader(
      { rope_theta: 10000, partial_rotary_factor: rotaryDim / base.headDim },
      architecture,
    );
    return {
      ...base,
      intermediateSize: c.int("n_inner", LIMITS.intermediateSize, 4 * base.hiddenSize),
      layerNormEps: c.positive("layer_norm_epsilon", 1e-5),
      rope: readRope(ropeConfig, base),
      approximate: readGelu(c, "activation_function", GELUS),
    };
  },

  tensors(s) {
    const C = s.hiddenSize, I = s.intermediateSize;
    const t = new TensorList().add("transformer.wte.weight", [s.vocabSize, C]);
    for (let i = 0; i < s.numLayers; i++) {
      const p = gpt2Layer(i);
      t.norm(p + "ln_1", C, true)
        .attention(p + "attn.", s, { bias: false, out: "out_proj" })
        .linear(p + "mlp.fc_in", I, C, true)
        .linear(p + "mlp.fc_out", C, I, true);
    }
    return t.norm(LN_F, C, true).untiedHead(s).add("lm_head.bias", [s.vocabSize]).tensors;
  },

  headName: (s) => s.tieWordEmbeddings ? "transformer.wte.weight" : "lm_head.weight",
  headBiasName: () => "lm_head.bias",

  buildHidden(gc, s) {
    const { g, w, ids } = gc;
    const C = s.hiddenSize, I = s.intermediateSize;
    const layerNorm = layerNorms(gc, s.layerNormEps);
    const linear = linearLayers(gc, { inDim: C, bias: false });
    const ctx = attentionContext(gc);
    const rotate = rotary(gc, s.rope, { headDim: s.headDim, interleaved: true });
    const rope = (x: string) => rotate(x, s.numHeads);
    const heads = attentionHeads(s);
    const mlp = { g, linear, up: "fc_in", down: "fc_out", inner: I, approximate: s.approximate, bias: true };

    let h = g.op("Gather", [w("transformer.wte.weight"), ids], { axis: 0 }); // (B, T, C)
    for (let i = 0; i < s.numLayers; i++) {
      const p = gpt2Layer(i);
      const x = layerNorm(h, p + "ln_1");
      const q = rope(linear(x, p + "attn.q_proj"));
      const k = rope(linear(x, p + "attn.k_proj"));
      const v = linear(x, p + "attn.v_proj");
      const attnOut = linear(causalAttention(ctx, [q, k, v], heads), p + "attn.out_proj");
      // GPTJBlock: attention and MLP both read ln_1's output, in parallel.
      const out = geluMlp(mlp, x, p + "mlp.");
      h = g.op("Add", [g.op("Add", [h, attnOut]), out]);
    }
    return layerNorm(h, LN_F);
  },
};
