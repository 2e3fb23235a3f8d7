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
 * @param hiddenSize C
 * @param ids (B, T) int64 token ids
 */
export function addLossHead(
  g: GraphBuilder,
  hidden: string,
  head: string,
  ids: string,
  hiddenSize: number,
): HeadOutputs {
  const axis1 = g.i64([1]), END = g.i64([Number.MAX_SAFE_INTEGER]);
  // Gemm with transB multiplies by the head as stored (V, C): no transposed copy at load.
  const project = (h: string) => g.op("Gemm", [g.op("Reshape", [h, g.i64([-1, hiddenSize])]), head], { transB: 1 });
  const inputs = g.op("Slice", [hidden, g.i64([0]), g.i64([-1]), axis1]); // (B, T−1, C)
  const targets = g.op("Slice", [ids, g.i64([1]), END, axis1]); // (B, T−1)
  const logp = g.op("LogSoftmax", [project(inputs)], { axis: -1 }); // (B·(T−1), V)
  const picked = g.op("GatherElements", [logp, g.op("Reshape", [targets, g.i64([-1, 1])])], { axis: -1 }); // (B·(T−1), 1)
  const perSequence = g.op("Reshape", [picked, g.op("Concat", [g.dim(ids, 0), g.i64([-1])], { axis: 0 })]); // (B, T−1)
  const loss = g.op("Neg", [g.op("ReduceMean", [perSequence, axis1], { keepdims: 0 })]); // (B)

  const last = g.op("Slice", [hidden, g.i64([-1]), END, axis1]); // (B, 1, C)
  // Top two, so greedy decoding can skip EOS as Hugging Face does under min_new_tokens.
  const [, nextToken] = g.ops("TopK", [project(last), g.i64([2])], 2, { axis: -1 }); // (B, 2)
  return { loss, nextToken };
}
