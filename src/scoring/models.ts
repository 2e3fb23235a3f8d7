/** The input every scoring rule takes: one evaluated model of one competition. */

/** A model's loss (lower is better; Infinity = failed) and the block its metadata was committed at. */
export interface ScoredModel {
  uid: number;
  block: number;
  loss: number;
}

/**
 * Validates and orders models by uid (then block), so every rule gives the same result for any
 * input order. Throws `RangeError` on duplicate uids, negative or non-integer uids/blocks, or NaN.
 */
export function canonicalOrder(models: readonly ScoredModel[]): ScoredModel[] {
  const seen = new Set<number>();
  for (const m of models) {
    if (!Number.isInteger(m.uid) || m.uid < 0) {
      throw new RangeError(`uid ${JSON.stringify(m.uid)?.slice(0, 40)} is not a non-negative integer`);
    }
    if (!Number.isInteger(m.block) || m.block < 0) {
      throw new RangeError(
        `uid ${m.uid}: block ${JSON.stringify(m.block)?.slice(0, 40)} is not a non-negative integer`,
      );
    }
    if (typeof m.loss !== "number" || Number.isNaN(m.loss) || m.loss < 0) {
      throw new RangeError(
        `uid ${m.uid}: loss ${
          typeof m.loss === "number" ? m.loss : JSON.stringify(m.loss)?.slice(0, 40)
        } is not a non-negative number`,
      );
    }
    if (seen.has(m.uid)) throw new RangeError(`uid ${m.uid} appears twice`);
    seen.add(m.uid);
  }
  return [...models].sort((a, b) => a.uid - b.uid || a.block - b.block);
}
