/**
 * The checkpoint layout Llama-style models share (modeling_llama, _mistral, _qwen2, _qwen3,
 * _gemma, _phi, _phi3): the decoder saved as `model`, holding `model.embed_tokens` and the blocks
 * `model.layers.{i}.…`, with `lm_head` beside it unless `tie_word_embeddings` ties it to the
 * embedding. Older transformers versions also saved each layer's rotary `inv_freq` buffer.
 */
import type { Architecture, ModelSpec } from "./spec.ts";

/** The token embedding (V, C). */
export const EMBED_TOKENS = "model.embed_tokens.weight";

/** The key prefix of block `i`. */
export function llamaLayer(i: number): string {
  return `model.layers.${i}.`;
}

/** The members of an architecture module that follow from the layout. */
export const LLAMA_LAYOUT: Pick<Architecture, "keyPrefixes" | "buffers" | "headName"> = {
  keyPrefixes: [""],
  buffers: /^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/,
  headName: (s: ModelSpec) => s.tieWordEmbeddings ? EMBED_TOKENS : "lm_head.weight",
};
