/**
 * One window's scores from the peers' losses (docs/pseudograd.md, "Scoring a window"; Templar
 * `neurons/validator.py`): for each evaluated peer, the relative gain on the window's common
 * random data g = (L_rand_before − L_rand_after)/L_rand_before; the indicator b = +1 when the
 * relative gain on its own assigned data beats the gain on random data, else −1; its moving
 * average B ← (1 − α)·B + α·b (α 0.05); the peers' OpenSkill Plackett–Luce ratings updated by g
 * when at least two were evaluated; and final = ordinal · max(0, B). Templar's sync factor is
 * left out (a submission names the checkpoint it was computed on instead), and so is its quirk of
 * carrying a lone peer's score into the next window.
 */
import { OPENSKILL_DEFAULTS, ordinal, type PlackettLuceSettings, PRIOR_RATING, ratePlackettLuce } from "./openskill.ts";
import type { Rating } from "./openskill.ts";

/** A peer's standing between windows. */
export interface PeerStanding extends Rating {
  /** The moving average of b. */
  binary: number;
}

/** A newcomer's standing: μ 25, σ 25/3, B 0. */
export const NEW_PEER: PeerStanding = { ...PRIOR_RATING, binary: 0 };

/** One evaluated peer's mean losses. */
export interface PeerLosses {
  uid: number;
  ownBefore: number;
  ownAfter: number;
  randomAfter: number;
}

/** One peer's result for the window. */
export interface PeerScore extends PeerStanding {
  uid: number;
  g: number;
  b: 1 | -1;
  ordinal: number;
  final: number;
}

/** Settings: α for B and the rating model. */
export interface WindowScoreSettings {
  alpha: number;
  openskill: PlackettLuceSettings;
}

export const TEMPLAR_WINDOW_SCORE: WindowScoreSettings = { alpha: 0.05, openskill: OPENSKILL_DEFAULTS };

/** Scores the window's evaluated peers; `randomBefore` is the global model's loss on the common random data. */
export function scoreWindow(
  peers: readonly PeerLosses[],
  { randomBefore, standing, settings = TEMPLAR_WINDOW_SCORE }: {
    randomBefore: number;
    standing: ReadonlyMap<number, PeerStanding>;
    settings?: WindowScoreSettings;
  },
): PeerScore[] {
  if (!(randomBefore > 0 && Number.isFinite(randomBefore))) {
    throw new RangeError(`the random data's loss before ${randomBefore} must be a positive number`);
  }
  if (new Set(peers.map((p) => p.uid)).size !== peers.length) throw new RangeError("a uid appears twice");
  for (const p of peers) {
    for (const [k, v] of Object.entries({ ownBefore: p.ownBefore, ownAfter: p.ownAfter, randomAfter: p.randomAfter })) {
      if (!Number.isFinite(v) || (k === "ownBefore" && !(v > 0))) {
        throw new RangeError(`uid ${p.uid}: ${k} ${v} is not a ${k === "ownBefore" ? "positive" : "finite"} loss`);
      }
    }
  }
  const g = peers.map((p) => (randomBefore - p.randomAfter) / randomBefore);
  const before = peers.map((p) => standing.get(p.uid) ?? NEW_PEER);
  const rated = peers.length >= 2 ? ratePlackettLuce(before, g, settings.openskill) : before;
  return peers.map((p, i) => {
    const own = (p.ownBefore - p.ownAfter) / p.ownBefore;
    const b = own > g[i] ? 1 : -1;
    const binary = (1 - settings.alpha) * before[i].binary + settings.alpha * b;
    const o = ordinal(rated[i]);
    return {
      uid: p.uid,
      g: g[i],
      b,
      mu: rated[i].mu,
      sigma: rated[i].sigma,
      binary,
      ordinal: o,
      final: o * Math.max(0, binary),
    };
  });
}

/** Each peer's share of the weights: its positive final over the sum of positive finals. */
export function windowWeights(scores: readonly PeerScore[]): Map<number, number> {
  const total = scores.reduce((s, p) => s + Math.max(0, p.final), 0);
  return new Map(scores.map((p) => [p.uid, total > 0 ? Math.max(0, p.final) / total : 0]));
}
