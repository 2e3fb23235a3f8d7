/**
 * Falcon (transformers' modeling_falcon) with rotary positions. One fused `query_key_value`, laid
 * out three ways, all read as (B, T, groups, per-group rows, D) and split after the matmul:
 * - `new_decoder_architecture` (Falcon-40B/180B): per KV group, its query heads then one key and
 *   one value head;
 * - `multi_query` (Falcon-7B): all query heads, then one key and one value head;
 * - otherwise: per head, its query, key and value.
 * The block is parallel (attention and MLP added to the residual together, off one LayerNorm, or
 * off `ln_attn` and `ln_mlp` when `num_ln_in_parallel_attn` is 2, the new architecture's default)
 * or sequential (`parallel_attn` false). GeLU MLP, optional biases (`bias`), `ln_f`, head tied to
 * the embeddings by default. ALiBi (`alibi`) is refused by name.
 */
import { type GeluApproximation, readGelu } from "./activations.ts";
import { attentionContext, attentionHeads, causalAttention } from "./attention.ts";
import { type BaseSpec, readBaseSpec } from "./base_spec.ts";
import { gpt2Layer, LN_F } from "./gpt2_layout.ts";
import { linearLayers } from "./linear.ts";
import { geluMlp } from "./mlp.ts";
import { layerNorms } from "./norms.ts";
import { rotary } from "./rotary.ts";
import { readRope, type RopeSpec } from "./rope.ts";
import { type Architecture, ConfigReader, LIMITS } from "./spec.ts";
import { TensorList } from "./tensor_list.ts";

/** A validated Falcon config. */
export interface FalconSpec extends BaseSpec {
  /** The fused projection as (groups, rows per group) of head-size rows, and the q, k, v rows of a group. */
  qkvGroups: number;
  qkvSplit: [number, number, number];
  ffnSize: number;
  layerNormEps: number;
  rope: RopeSpec;
  bias: boolean;
  parallel: boolean;
  /** Separate LayerNorms before attention and MLP (`ln_attn`, `ln_mlp`). */
  twoNorms: boolean;
  approximate: GeluApproximation;
}

/** The Falcon architecture module. */
export const falcon: Architecture<FalconSpec> = {
  names: ["FalconForCausalLM"],
  keyPrefixes: ["transformer."],
  buffers: /^transformer\.h\.\d+\.self_attention\.rotary_emb\.inv_freq$/,

  parseConfig(raw, architecture) {
    const c = new ConfigReader(raw, architecture);
    if (c.bool("alibi", false)) {
      throw c.error("alibi", "= true (ALiBi position bias) is not supported; Falcon with rotary positions is");
    }
    const base = readBaseSpec(c, { maxPositions: 2048, tieWordEmbeddings: true });
    const numHeads = base.numHeads;
    const newArch = c.bool("new_decoder_architecture", false);
    const multiQuery = c.bool("multi_query", true);
    const parallel = c.bool("parallel_attn", true);
    if (newArch && !parallel) {
      throw c.error("parallel_attn", "= false with new_decoder_architecture has no defined block in transformers");
    }
    const numLn = raw.num_ln_in_parallel_attn == null ? (newArch ? 2 : 1) : c.int("num_ln_in_parallel_attn", 2);
    let numKvHeads: number, qkvGroups: number, qkvSplit: [number, number, number];
    if (newArch) {
      numKvHeads = c.int("num_kv_heads", numHeads, numHeads);
      c.divisible("num_attention_heads", numHeads, "num_kv_heads", numKvHeads);
      qkvGroups = numKvHeads;
      qkvSplit = [numHeads / numKvHeads, 1, 1];
    } else if (multiQuery) {
      numKvHeads = 1;
      qkvGroups = 1;
      qkvSplit = [numHeads, 1, 1];
    } else {
      numKvHeads = numHeads;
      qkvGroups = numHeads;
      qkvSplit = [1, 1, 1];
    }
    return {
      ...base,
      numKvHeads,
      qkvGroups,
      qkvSplit,
      ffnSize: c.int("ffn_hidden_size", LIMITS.intermediateSize, 4 * base.hiddenSize),
      layerNormEps: c.positive("layer_norm_epsilon", 1e-5),
      rope: readRope(c, base),
      bias: c.bool("bias", false),
      parallel,
      twoNorms: parallel && numLn === 2,
      approximate: readGelu(c, "activation", ["gelu", "gelu_new", "gelu_pytorch_tanh"]),
    };
  },

  tensors(s) {
    const C = s.hiddenSize;
    const t = new TensorList().add("transformer.word_embeddings.weight", [s.vocabSize, C]);
    const qkvRows = s.qkvGroups * (s.qkvSplit[0] + 2) * s.headDim;
    for (let i = 0; i < s.numLayers; i++) {
      const p = gpt2Layer(i);
      if (s.twoNorms) t.norm(p + "ln_attn", C, true).norm(p + "ln_mlp", C, true);
      else t.norm(p + "input_layernorm", C, true);
      if (!s.parallel) t.norm(p + "post_attention_layernorm", C, true);
      t.linear(p + "self_attention.query_key_value", qkvRows, C, s.bias)
        .linear(p + "self_attention.dense", C, C, s.bias)
        .linear(p + "mlp.dense_h_to_4h", s.ffnSize, C, s.bias)
        .linear(p + "mlp.dense_4h_to_h", C, s.ffnSize, s.bias);
    }
    return t.norm(LN_F, C, true).untiedHead(s).tensors;
  },

  headName: (s) => s.tieWordEmbeddings ? "transformer.word_embeddings.weight" : "lm_head.weight",

  buildHidden(gc, s) {
    const { g, w, ids } = gc;
    const D = s.headDim;
    const layerNorm = layerNorms(gc, s.layerNormEps);
    const linear = linearLayers(gc, { inDim: s.hiddenSize, bias: s.bias });
    const ctx = attentionContext(gc);
    const rope = rotary(gc, s.rope, { headDim: D });
    const heads = attentionHeads(s);
    const grouped = g.i64([0, 0, s.qkvGroups, s.qkvSplit[0] + 2, D]), flat = g.i64([0, 0, -1]);
    const mlp = { g, linear, up: "dense_h_to_4h", down: "dense_4h_to_h", inner: s.ffnSize, approximate: s.approximate };

    let h = g.op("Gather", [w("transformer.word_embeddings.weight"), ids], { axis: 0 }); // (B, T, C)
    for (let i = 0; i < s.numLayers; i++) {
      const p = gpt2Layer(i);
      const x = layerNorm(h, p + (s.twoNorms ? "ln_attn" : "input_layernorm"));
      const qkv = g.op("Reshape", [linear(x, p + "self_attention.query_key_value"), grouped]);
      const [q, k, v] = g.ops("Split", [qkv, g.i64(s.qkvSplit)], 3, { axis: 3 }).map((part) =>
        g.op("Reshape", [part, flat])
      );
      const attnOut = linear(
        causalAttention(ctx, [rope(q, s.numHeads), rope(k, s.numKvHeads), v], heads),
        p + "self_attention.dense",
      );
      const ffn = (y: string) => geluMlp(mlp, y, p + "mlp.");
      if (s.parallel) {
        const y = s.twoNorms ? layerNorm(h, p + "ln_mlp") : x;
        h = g.op("Add", [h, g.op("Add", [ffn(y), attnOut])]);
      } else {
        h = g.op("Add", [h, attnOut]);
        h = g.op("Add", [h, ffn(layerNorm(h, p + "post_attention_layernorm"))]);
      }
    }
    return layerNorm(h, LN_F);
  },
};
