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

/** The output head over the hidden states, the token ids its loss is taken against, and how to slice it. */
export interface LossHead {
  /** (V, C) output embedding. */
  head: string;
  /** (V) bias added to the logits (Phi). */
  headBias?: string;
  /** Logits soft-capped as cap · tanh(logits / cap) before the softmax (Gemma2); default none. */
  softcap?: number | null;
  /** C, the width of the hidden states. */
  hiddenSize: number;
  /** (B, T) int64 token ids; position t's target is the id at t + 1. */
  ids: string;
  /** Row slices for the head (default 1: all logits at once). */
  chunks?: number;
}

/** Adds the output head and loss over `hidden`, the (B, T, C) final normalised hidden states. */
export function addLossHead(g: GraphBuilder, hidden: string, o: LossHead): HeadOutputs {
  const { head, headBias, softcap = null, hiddenSize, ids, chunks = 1 } = o;
  const axis1 = g.i64([1]), END = g.i64([Number.MAX_SAFE_INTEGER]);
  // Gemm with transB multiplies by the head as stored (V, C): no transposed copy at load.
  const project = (h: string) => {
    const flat = g.op("Reshape", [h, g.i64([-1, hiddenSize])]);
    return capLogits(g, g.op("Gemm", headBias ? [flat, head, headBias] : [flat, head], { transB: 1 }), softcap);
  };
  const inputs = g.op("Slice", [hidden, g.i64([0]), g.i64([-1]), axis1]); // (B, T−1, C)
  const targets = g.op("Slice", [ids, g.i64([1]), END, axis1]); // (B, T−1)
  const rows = g.op("Reshape", [inputs, g.i64([-1, hiddenSize])]); // (N = B·(T−1), C)
  const wanted = g.op("Reshape", [targets, g.i64([-1, 1])]); // (N, 1)
  const pick = (x: string, t: string) =>
    g.op("GatherElements", [g.op("LogSoftmax", [project(x)], { axis: -1 }), t], { axis: -1 }); // (n, 1)
  let picked: string;
  if (chunks <= 1) {
    picked = pick(rows, wanted); // logits (N, V) at once
  } else {
    // Row slices of ⌈N / chunks⌉, so at most one slice's (n, V) logits are alive at a time.
    const axis0 = g.i64([0]);
    const size = g.op("Div", [g.op("Add", [g.dim(rows, 0), g.i64([chunks - 1])]), g.i64([chunks])]);
    const parts: string[] = [];
    for (let i = 0; i < chunks; i++) {
      const start = g.op("Mul", [size, g.i64([i])]), end = g.op("Mul", [size, g.i64([i + 1])]);
      parts.push(pick(g.op("Slice", [rows, start, end, axis0]), g.op("Slice", [wanted, start, end, axis0])));
    }
    picked = g.op("Concat", parts, { axis: 0 }); // (N, 1)
  }
  const perSequence = g.op("Reshape", [picked, g.op("Concat", [g.dim(ids, 0), g.i64([-1])], { axis: 0 })]); // (B, T−1)
  const loss = g.op("Neg", [g.op("ReduceMean", [perSequence, axis1], { keepdims: 0 })]); // (B)

  const last = g.op("Slice", [hidden, g.i64([-1]), END, axis1]); // (B, 1, C)
  // Top two, so greedy decoding can skip EOS as Hugging Face does under min_new_tokens.
  const [, nextToken] = g.ops("TopK", [project(last), g.i64([2])], 2, { axis: -1 }); // (B, 2)
  return { loss, nextToken };
}

/** cap · tanh(logits / cap), or the logits unchanged without a cap. */
export function capLogits(g: GraphBuilder, logits: string, cap: number | null): string {
  if (cap === null) return logits;
  const c = g.f32(new Float32Array([cap]), []);
  return g.op("Mul", [g.op("Tanh", [g.op("Div", [logits, c])]), c]);
}
