/** Dense float64 vector and matrix helpers for the epoch, named after subtensor's math.rs. */

export type Vec = number[];
export type Mat = number[][];

export const sum = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0);

/** v / Σv; a zero vector stays zero. */
export function normalize(v: readonly number[]): Vec {
  const s = sum(v);
  return s === 0 ? [...v] : v.map((x) => x / s);
}

export const zeros = (n: number, m: number): Mat => Array.from({ length: n }, () => new Array(m).fill(0));

/** Each row divided by its sum; zero rows stay zero. */
export const rowNormalize = (a: Mat): Mat => a.map((row) => normalize(row));

/** Each column divided by its sum; zero columns stay zero. */
export function colNormalize(a: Mat): Mat {
  const m = a[0]?.length ?? 0;
  const sums = Array.from({ length: m }, (_, j) => a.reduce((s, row) => s + row[j], 0));
  return a.map((row) => row.map((x, j) => (sums[j] === 0 ? x : x / sums[j])));
}

/** Each column divided by its maximum (max becomes 1); zero columns stay zero. */
export function colMaxUpscale(a: Mat): Mat {
  const m = a[0]?.length ?? 0;
  const maxes = Array.from({ length: m }, (_, j) => Math.max(0, ...a.map((row) => row[j])));
  return a.map((row) => row.map((x, j) => (maxes[j] === 0 ? x : x / maxes[j])));
}

/** r_j = Σ_i a_ij · v_i. */
export function matmul(a: Mat, v: readonly number[]): Vec {
  const m = a[0]?.length ?? 0;
  const out = new Array(m).fill(0);
  a.forEach((row, i) => row.forEach((x, j) => (out[j] += x * v[i])));
  return out;
}

/** d_i = Σ_j a_ij · v_j. */
export const matmulTranspose = (a: Mat, v: readonly number[]): Vec =>
  a.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));

/** Element-wise a + t·(b − a). */
export const interpolate = (a: Mat, b: Mat, t: number): Mat =>
  a.map((row, i) => row.map((x, j) => x + t * (b[i][j] - x)));

/** The k largest non-zero entries (ties: the lower index wins, as a stable ascending sort leaves them). */
export function isTopkNonzero(v: readonly number[], k: number): boolean[] {
  const result = v.map((x) => x !== 0);
  if (v.length <= k) return result;
  const order = v.map((_, i) => i).sort((a, b) => v[a] - v[b] || a - b);
  for (const i of order.slice(0, v.length - k)) result[i] = false;
  return result;
}

/**
 * The κ-majority value of a column (subtensor's weighted_median_col): among rows with stake > 0,
 * the largest score c such that the stake of rows scoring ≥ c is at least κ of their total.
 */
export function weightedMedianCol(stake: readonly number[], column: readonly number[], kappa: number): number {
  const rows = stake.map((s, i) => ({ s, x: column[i] })).filter((r) => r.s > 0);
  const total = sum(rows.map((r) => r.s));
  if (rows.length === 0 || total === 0) return 0;
  rows.sort((a, b) => b.x - a.x); // descending score
  let above = 0;
  for (let i = 0; i < rows.length; i++) {
    above += rows[i].s;
    // Include every row tied with this score before testing.
    if (i + 1 < rows.length && rows[i + 1].x === rows[i].x) continue;
    if (above / total >= kappa) return rows[i].x;
  }
  return rows[rows.length - 1].x;
}
