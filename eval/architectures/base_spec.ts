/**
 * The part of a spec every architecture reads alike: vocabulary, width, attention heads, layers,
 * positions and whether the output head is tied. transformers' config classes share these
 * fields under the names of `PretrainedConfig` (`hidden_size`, `num_attention_heads`, …); GPT-2
 * and GPT-J store them as `n_embd`, `n_head`, `n_layer`, `n_positions` (their configs'
 * `attribute_map`), and BART's decoder as `d_model`, `decoder_attention_heads`, `decoder_layers`.
 */
import { type ConfigReader, LIMITS, type ModelSpec } from "./spec.ts";

/** A `ModelSpec` with its attention layout: KV heads and the size of a head. */
export interface BaseSpec extends ModelSpec {
  numKvHeads: number;
  headDim: number;
}

/** The config keys of the width, heads, layers and position limit. */
export interface SizeKeys {
  hidden: string;
  heads: string;
  layers: string;
  positions: string;
}

/** `PretrainedConfig`'s names, which most configs use. */
const STANDARD_KEYS: SizeKeys = {
  hidden: "hidden_size",
  heads: "num_attention_heads",
  layers: "num_hidden_layers",
  positions: "max_position_embeddings",
};

/** GPT-2's and GPT-J's names (GPT2Config and GPTJConfig map the standard ones onto them). */
export const GPT2_KEYS: SizeKeys = { hidden: "n_embd", heads: "n_head", layers: "n_layer", positions: "n_positions" };

/** How an architecture's config class reads the base fields. */
export interface BaseSpecOptions {
  /** The config keys (default `STANDARD_KEYS`). */
  keys?: SizeKeys;
  /** The position limit when the config leaves it out; without one, the key is required. */
  maxPositions?: number;
  /** The config class's default for `tie_word_embeddings`. */
  tieWordEmbeddings: boolean;
  /** Reads `num_key_value_heads` (default: as many as query heads); otherwise every head has its own KV. */
  kvHeads?: boolean;
  /** Reads an explicit `head_dim` (default: width / heads), which frees the width from dividing by the heads. */
  headDim?: boolean;
}

/**
 * Reads the base fields, each refused by name when bad; without `kvHeads` or `headDim` the spec
 * still states them, as every head its own KV and width / heads.
 */
export function readBaseSpec(c: ConfigReader, o: BaseSpecOptions): BaseSpec {
  const keys = o.keys ?? STANDARD_KEYS;
  const hiddenSize = c.int(keys.hidden, LIMITS.hiddenSize);
  const numHeads = c.int(keys.heads, LIMITS.numHeads);
  const numKvHeads = o.kvHeads ? c.int("num_key_value_heads", numHeads, numHeads) : numHeads;
  if (o.kvHeads) c.divisible(keys.heads, numHeads, "num_key_value_heads", numKvHeads);
  if (!o.headDim || c.raw.head_dim == null) c.divisible(keys.hidden, hiddenSize, keys.heads, numHeads);
  const headDim = o.headDim ? c.int("head_dim", LIMITS.hiddenSize, hiddenSize / numHeads) : hiddenSize / numHeads;
  const maxPositions = c.int(keys.positions, LIMITS.maxPositions, o.maxPositions);
  return {
    architecture: c.architecture,
    vocabSize: c.int("vocab_size", LIMITS.vocabSize),
    hiddenSize,
    numLayers: c.int(keys.layers, LIMITS.numLayers),
    numHeads,
    numKvHeads,
    headDim,
    maxPositions,
    tieWordEmbeddings: c.bool("tie_word_embeddings", o.tieWordEmbeddings),
  };
}
