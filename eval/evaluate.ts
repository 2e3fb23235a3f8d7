/** Per-sequence losses over many sequences, in batches, in input order. */
import type { LossSession } from "./session.ts";

/** Options for `evaluateLosses`. */
export interface EvaluateOptions {
  /** Sequences per session run (default 1). */
  batchSize?: number;
  /** Called after each batch with the number of sequences done. */
  onProgress?: (done: number, total: number) => void;
}

/** Mean next-token cross-entropy of each sequence; all sequences must have the same length. */
export async function evaluateLosses(
  session: LossSession,
  sequences: readonly ArrayLike<number>[],
  options: EvaluateOptions = {},
): Promise<number[]> {
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 1));
  const losses: number[] = [];
  for (let i = 0; i < sequences.length; i += batchSize) {
    const { losses: batch } = await session.run(sequences.slice(i, i + batchSize));
    losses.push(...batch);
    options.onProgress?.(losses.length, sequences.length);
  }
  return losses;
}
