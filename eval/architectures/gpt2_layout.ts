/**
 * The checkpoint layout GPT-2-style models share (modeling_gpt2, _gptj, _falcon): the decoder
 * saved as `transformer`, holding the blocks `transformer.h.{i}.…` and the final LayerNorm
 * `transformer.ln_f`, with `lm_head` beside it unless tied to the token embedding.
 */

/** The final LayerNorm. */
export const LN_F = "transformer.ln_f";

/** The key prefix of block `i`. */
export function gpt2Layer(i: number): string {
  return `transformer.h.${i}.`;
}
