/**
 * The head shared by every architecture: final hidden states → per-sequence loss and the greedy
 * next token. Only B floats and B ints leave ONNX Runtime, never the (B, T, V) logits.
 *
 * loss[b] = mean over t < T−1 of −log softmax(logits[b, t])[ids[b, t+1]]   (SN9 definition)
 */
import type { GraphBuilder } from "./onnx/mod.ts";

/** Graph values of the head's outputs. */
export interface HeadOutputs {
  /** (B) float32: mean next-token cross-entropy per sequence. */
  loss: string;
  /** (B, 2) int64: the two most likely tokens after the last position, best first. */
  nextToken: string;
}

/**
 * Adds the output head and loss.
 * @param hidden (B, T, C) final normalised hidden states
 * @param head (V, C) output embedding
 * @param ids (B, T) int64 token ids
 */
export function addLossHead(g: GraphBuilder, hidden: string, head: string, ids: string): HeadOutputs {
  const headT = g.op("Transpose", [head], { perm: [1, 0] }); // (C, V), folded at load
  const axis1 = g.i64([1]);
  const inputs = g.op("Slice", [hidden, g.i64([0]), g.i64([-1]), axis1]); // (B, T−1, C)
  const targets = g.op("Slice", [ids, g.i64([1]), g.i64([Number.MAX_SAFE_INTEGER]), axis1]); // (B, T−1)
  const logits = g.op("MatMul", [inputs, headT]); // (B, T−1, V)
  const logp = g.op("LogSoftmax", [logits], { axis: -1 }); // (B, T−1, V)
  const picked = g.op("GatherElements", [logp, g.op("Unsqueeze", [targets, g.i64([-1])])], { axis: -1 }); // (B, T−1, 1)
  const loss = g.op("Neg", [g.op("ReduceMean", [picked, g.i64([1, 2])], { keepdims: 0 })]); // (B)

  const last = g.op("Slice", [hidden, g.i64([-1]), g.i64([Number.MAX_SAFE_INTEGER]), axis1]); // (B, 1, C)
  const lastLogits = g.op("MatMul", [last, headT]); // (B, 1, V)
  // Top two, so greedy decoding can skip EOS as Hugging Face does under min_new_tokens.
  const [, nextToken] = g.ops("TopK", [g.op("Squeeze", [lastLogits, axis1]), g.i64([2])], 2, { axis: -1 }); // (B, 2)
  return { loss, nextToken };
}
