/**
 * Yuma Consensus: one subnet epoch as a pure function (state in, state out), following
 * subtensor's `epoch` (pallets/subtensor/src/epoch/run_epoch.rs) in float64 rather than its
 * I32F32 fixed point, so the last bits of a result may differ from the chain's.
 *
 * 1. inactive_i = lastUpdate_i + activityCutoff < block; stake S normalised; active stake = S with
 *    inactive and (previous-epoch) non-permitted rows zeroed, renormalised; new permits = top
 *    `maxAllowedValidators` non-zero stakes.
 * 2. Weights W (u16 → proportion): rows without a permit, self-weights, and weights i → j set no
 *    later than j's registration (lastUpdate_i ≤ blockAtRegistration_j) are removed; rows normalised.
 * 3. Consensus c_j = κ-majority of column j under active stake; clipped W̃ = min(W, c);
 *    validator trust = Σ_j W̃_ij; ranks r = W̃ᵀ·S_active; trust = r / (Wᵀ·S_active);
 *    incentive = normalised r.
 * 4. Weights for bonds W_b = W + β(W̃ − W), β = bondsPenalty / 65535. Bonds to uids registered
 *    within the last tempo are dropped.
 *    Classic: B col-normalised; ΔB = W_b ∘ S_active col-normalised; B' = αΔB + (1−α)B with
 *    α = 1 − bondsMovingAverage/10⁶, col-normalised; dividends = normalised B'·I; stored bonds
 *    are B' column-max-upscaled.
 *    Yuma 3: B in [0, 1] per (validator, miner); B' = αW_b + (1−α)B, with α per entry from the
 *    liquid-alpha sigmoid when enabled; dividends = normalised (Σ_j B̂'_ij I_j)·S_active_i with B̂'
 *    col-normalised; stored bonds are B'.
 * 5. Emission: (incentive + dividends) normalised × emission (rao, floored); when both are zero,
 *    emission follows active stake (or stake).
 */
import {
  colMaxUpscale,
  colNormalize,
  interpolate,
  isTopkNonzero,
  type Mat,
  matmul,
  matmulTranspose,
  normalize,
  rowNormalize,
  sum,
  weightedMedianCol,
  zeros,
} from "./matrix.ts";

/** Subnet hyperparameters the epoch reads, in the chain's units. */
export interface YumaParams {
  /** u16; κ = kappa / 65535. */
  kappa: number;
  /** Out of 1,000,000. */
  bondsMovingAverage: number;
  /** u16; β = bondsPenalty / 65535. */
  bondsPenalty: number;
  yuma3: boolean;
  /** Yuma 3 only. */
  liquidAlpha: boolean;
  alphaLow: number;
  alphaHigh: number;
  alphaSigmoidSteepness: number;
  activityCutoff: number;
  maxAllowedValidators: number;
  /** Rao emitted this epoch. */
  emission: number;
  /** Blocks per epoch (bonds to uids registered within the last tempo are dropped). */
  tempo: number;
}

/** Subtensor's defaults for the parameters the epoch reads. */
export const DEFAULT_YUMA_PARAMS: YumaParams = {
  kappa: 32767,
  bondsMovingAverage: 900_000,
  bondsPenalty: 65535,
  yuma3: false,
  liquidAlpha: false,
  alphaLow: 0.7,
  alphaHigh: 0.9,
  alphaSigmoidSteepness: 1000,
  activityCutoff: 5000,
  maxAllowedValidators: 128,
  emission: 1_000_000_000,
  tempo: 360,
};

/** The Yuma parameters among a larger set (a subnet's hyperparameters). */
export function pickYumaParams(from: Partial<YumaParams> & Record<string, unknown>): Partial<YumaParams> {
  return Object.fromEntries(Object.keys(DEFAULT_YUMA_PARAMS).filter((k) => k in from).map((k) => [k, from[k]]));
}

/** Sparse rows: row uid → [[column uid, u16 value], …]. */
export type SparseU16 = Record<string, [number, number][]>;

/** The epoch's input state. */
export interface YumaInput {
  block: number;
  stake: number[];
  weights: SparseU16;
  bonds?: SparseU16;
  lastUpdate: number[];
  blockAtRegistration: number[];
  /** Permits from the previous epoch (default: this epoch's top stakes). */
  validatorPermit?: boolean[];
  params?: Partial<YumaParams>;
}

/** The epoch's output state. */
export interface YumaOutput {
  consensus: number[];
  incentive: number[];
  dividends: number[];
  trust: number[];
  validatorTrust: number[];
  /** Rao per uid. */
  emission: number[];
  validatorPermit: boolean[];
  bonds: SparseU16;
}

/** Runs one epoch. Throws `RangeError` on inconsistent input. */
export function yumaEpoch(input: YumaInput): YumaOutput {
  checkInput(input, Array.isArray(input?.stake) ? input.stake.length : 0);
  const p = { ...DEFAULT_YUMA_PARAMS, ...input.params };
  const n = input.stake.length;

  // 1. Activity, stake, permits.
  const inactive = input.lastUpdate.map((u) => u + p.activityCutoff < input.block);
  const stake = normalize(input.stake);
  const permits = input.validatorPermit ?? isTopkNonzero(stake, p.maxAllowedValidators);
  const newPermits = isTopkNonzero(stake, p.maxAllowedValidators);
  const activeStake = normalize(stake.map((s, i) => (inactive[i] || !permits[i] ? 0 : s)));

  // 2. Weights.
  const raw = dense(input.weights, n, 65535);
  const weights = rowNormalize(
    raw.map((row, i) =>
      row.map((w, j) => (!permits[i] || i === j || input.lastUpdate[i] <= input.blockAtRegistration[j] ? 0 : w))
    ),
  );

  // 3. Consensus, clipping, trust, incentive.
  const kappa = p.kappa / 65535;
  const preranks = matmul(weights, activeStake);
  const consensus = Array.from(
    { length: n },
    (_, j) => weightedMedianCol(activeStake, weights.map((r) => r[j]), kappa),
  );
  const clipped = weights.map((row) => row.map((w, j) => Math.min(w, consensus[j])));
  const validatorTrust = clipped.map(sum);
  const ranks = matmul(clipped, activeStake);
  const trust = ranks.map((r, j) => (preranks[j] === 0 ? 0 : r / preranks[j]));
  const incentive = normalize(ranks);

  // 4. Bonds and dividends.
  const forBonds = interpolate(weights, clipped, p.bondsPenalty / 65535);
  const lastTempo = input.block - p.tempo;
  const recentlyRegistered = input.blockAtRegistration.map((r) => lastTempo <= r);
  const alpha = 1 - p.bondsMovingAverage / 1_000_000;
  let dividends: number[], stored: Mat;
  if (p.yuma3) {
    const bonds = dense(input.bonds ?? {}, n, 65535).map((row) => row.map((b, j) => (recentlyRegistered[j] ? 0 : b)));
    const liquid = p.liquidAlpha && consensus.some((c) => c !== 0);
    const ema = forBonds.map((row, i) =>
      row.map((w, j) => {
        const a = liquid ? alphaSigmoid(consensus[j], w, bonds[i][j], p) : alpha;
        return a * w + (1 - a) * bonds[i][j];
      })
    );
    const norm = colNormalize(ema);
    dividends = normalize(norm.map((row, i) => row.reduce((s, b, j) => s + b * incentive[j], 0) * activeStake[i]));
    stored = ema;
  } else {
    const bonds = colNormalize(
      dense(input.bonds ?? {}, n, 1).map((row) => row.map((b, j) => (recentlyRegistered[j] ? 0 : b))),
    );
    const delta = colNormalize(forBonds.map((row, i) => row.map((w) => w * activeStake[i])));
    const ema = colNormalize(delta.map((row, i) => row.map((d, j) => alpha * d + (1 - alpha) * bonds[i][j])));
    dividends = normalize(matmulTranspose(ema, incentive));
    stored = colMaxUpscale(ema);
  }

  // 5. Emission.
  let combined = incentive.map((x, i) => x + dividends[i]);
  if (sum(combined) === 0) combined = sum(activeStake) === 0 ? stake : activeStake;
  const emission = normalize(combined).map((x) => Math.floor(x * p.emission));

  return {
    consensus,
    incentive,
    dividends,
    trust,
    validatorTrust,
    emission,
    validatorPermit: newPermits,
    bonds: sparse(stored),
  };
}

/** Yuma 3's liquid alpha: faster bond moves when a weight departs from consensus or the bond. */
function alphaSigmoid(consensus: number, weight: number, bond: number, p: YumaParams): number {
  const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
  const diff = weight >= bond ? clamp(weight - consensus, 0, 1) : clamp(bond - weight, 0, 1);
  const sigmoid = 1 / (1 + Math.exp((-p.alphaSigmoidSteepness / 100) * (diff - 0.5)));
  return clamp(p.alphaLow + sigmoid * (p.alphaHigh - p.alphaLow), p.alphaLow, p.alphaHigh);
}

function dense(rows: SparseU16, n: number, scale: number): Mat {
  const m = zeros(n, n);
  for (const [i, entries] of Object.entries(rows)) for (const [j, v] of entries) m[Number(i)][j] = v / scale;
  return m;
}

/** Proportions in [0, 1] stored as u16 (×65535, floored, as fixed-point truncation does), zeros dropped. */
function sparse(m: Mat): SparseU16 {
  const out: SparseU16 = {};
  m.forEach((row, i) => {
    const entries = row.map((x, j) => [j, Math.floor(x * 65535)] as [number, number]).filter(([, v]) => v > 0);
    if (entries.length) out[i] = entries;
  });
  return out;
}

/** Most uids an epoch takes (subtensor's MaxAllowedUids tops out at 4096): the matrices are dense. */
export const MAX_YUMA_UIDS = 4096;

function checkInput(input: YumaInput, n: number): void {
  if (typeof input !== "object" || input === null) throw new TypeError("the input must be a JSON object");
  if (!Number.isSafeInteger(input.block) || input.block < 0) {
    throw new TypeError(`"block" must be a non-negative integer`);
  }
  for (const key of ["stake", "lastUpdate", "blockAtRegistration"] as const) {
    const xs = input[key];
    if (!Array.isArray(xs)) throw new TypeError(`"${key}" must be an array`);
    const bad = xs.findIndex((x) => typeof x !== "number" || !Number.isFinite(x) || x < 0);
    if (bad >= 0) throw new RangeError(`"${key}"[${bad}] must be a non-negative number`);
  }
  if (n > MAX_YUMA_UIDS) throw new RangeError(`${n} uids: an epoch takes at most ${MAX_YUMA_UIDS}`);
  if (input.validatorPermit !== undefined) {
    if (!Array.isArray(input.validatorPermit) || input.validatorPermit.some((p) => typeof p !== "boolean")) {
      throw new TypeError(`"validatorPermit" must be an array of booleans`);
    }
  }
  for (const [name, rows] of [["weights", input.weights], ["bonds", input.bonds ?? {}]] as const) {
    if (typeof rows !== "object" || rows === null || Array.isArray(rows)) {
      throw new TypeError(`"${name}" must be an object of sparse rows {"<uid>": [[uid, u16], …]}`);
    }
    for (const [i, entries] of Object.entries(rows)) {
      if (!Array.isArray(entries) || entries.some((e) => !Array.isArray(e) || e.length !== 2)) {
        throw new TypeError(`${name}[${i.slice(0, 12)}] must be an array of [uid, u16] pairs`);
      }
    }
  }
  if (input.params !== undefined) {
    if (typeof input.params !== "object" || input.params === null) throw new TypeError(`"params" must be an object`);
    for (const [k, v] of Object.entries(input.params)) {
      if (!(k in DEFAULT_YUMA_PARAMS)) {
        throw new RangeError(
          `params.${k.slice(0, 40)} is not a Yuma parameter (${Object.keys(DEFAULT_YUMA_PARAMS).join(", ")})`,
        );
      }
      if (
        typeof v !== typeof DEFAULT_YUMA_PARAMS[k as keyof YumaParams] || (typeof v === "number" && !Number.isFinite(v))
      ) {
        throw new TypeError(`params.${k} must be a ${typeof DEFAULT_YUMA_PARAMS[k as keyof YumaParams]}`);
      }
    }
  }
  const lengths = {
    lastUpdate: input.lastUpdate.length,
    blockAtRegistration: input.blockAtRegistration.length,
    validatorPermit: input.validatorPermit?.length ?? n,
  };
  for (const [k, len] of Object.entries(lengths)) {
    if (len !== n) throw new RangeError(`${k} has ${len} entries, stake has ${n}`);
  }
  if (input.stake.some((s) => !(s >= 0))) throw new RangeError("stake entries must be non-negative numbers");
  for (const [name, rows] of [["weights", input.weights], ["bonds", input.bonds ?? {}]] as const) {
    for (const [i, entries] of Object.entries(rows)) {
      if (!(Number(i) >= 0 && Number(i) < n)) throw new RangeError(`${name}: row uid ${i} is not in 0..${n - 1}`);
      for (const [j, v] of entries) {
        if (!Number.isInteger(j) || j < 0 || j >= n) {
          throw new RangeError(`${name}[${i}]: uid ${j} is not in 0..${n - 1}`);
        }
        if (!Number.isInteger(v) || v < 0 || v > 65535) throw new RangeError(`${name}[${i}]: value ${v} is not a u16`);
      }
    }
  }
}
