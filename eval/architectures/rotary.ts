/**
 * Rotary positions in a graph, shared by every RoPE architecture: the cos/sin tables of a
 * `RopeSpec` (rope.ts), position ids 0‥T−1 for each sequence, and ONNX's RotaryEmbedding on each
 * head's first rotary dimensions, in the rotate-half convention or on adjacent pairs (GPT-J).
 */
import type { GraphBuilder } from "../onnx/mod.ts";
import type { GraphContext } from "./graph_context.ts";
import { ropeFrequencies, type RopeSpec } from "./rope.ts";

/** Where a head's rotated dimensions lie: its size, and how its pairs are formed. */
export interface RotaryLayout {
  /** D, the size of a head; dimensions past the spec's `rotaryDim` are left as they are. */
  headDim: number;
  /** Adjacent pairs (GPT-J's `rotate_every_two`) instead of the rotate-half halves (default). */
  interleaved?: boolean;
}

/** Returns `rope(x, heads)`: x (B, T, heads·headDim) rotated by position. */
export function rotary({ g, ids }: GraphContext, r: RopeSpec, o: RotaryLayout): (x: string, heads: number) => string {
  const { cos, sin } = ropeTables(g, r);
  const T = g.dim(ids, 1);
  const positions = g.op("Expand", [
    g.op("Unsqueeze", [g.op("Range", [g.i64(0), g.op("Squeeze", [T]), g.i64(1)]), g.i64([0])]), // (1, T)
    g.op("Shape", [ids]),
  ]); // (B, T)
  return (x, heads) => {
    const attributes: Record<string, number> = { num_heads: heads, interleaved: o.interleaved ? 1 : 0 };
    if (r.rotaryDim < o.headDim) attributes.rotary_embedding_dim = r.rotaryDim;
    return g.op("RotaryEmbedding", [x, cos, sin, positions], attributes);
  };
}

/**
 * cos/sin caches (positions, rotaryDim/2) from rope.ts's inverse frequencies, each rounded to
 * float32 as transformers computes them, the angle rounded likewise, and both scaled by the
 * RoPE type's attention factor (transformers multiplies cos and sin by `attention_scaling`).
 */
function ropeTables(g: GraphBuilder, r: RopeSpec): { cos: string; sin: string } {
  const n = Math.min(r.maxPositions, g.maxSequenceLength);
  const { invFreq, attentionFactor } = ropeFrequencies(r, g.maxSequenceLength);
  const half = invFreq.length;
  const cos = new Float32Array(n * half), sin = new Float32Array(n * half);
  for (let i = 0; i < half; i++) {
    const f = Math.fround(invFreq[i]);
    for (let t = 0; t < n; t++) {
      const angle = Math.fround(t * f);
      cos[t * half + i] = Math.cos(angle) * attentionFactor;
      sin[t * half + i] = Math.sin(angle) * attentionFactor;
    }
  }
  return { cos: g.value(cos, [n, half]), sin: g.value(sin, [n, half]) };
}
