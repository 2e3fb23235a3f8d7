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
  /** The score weights are set from: ordinal · max(0, B) when last evaluated, less any slashes since. */
  final: number;
  /** No weight before this window (a "mega" copy). */
  bannedUntil?: number;
}

/** A newcomer's standing: μ 25, σ 25/3, B 0, final 0. */
export const NEW_PEER: PeerStanding = { ...PRIOR_RATING, binary: 0, final: 0 };

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
      ...before[i],
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

/** Each peer's share of the weights in `window`: its positive final over the sum of positive finals; none while banned. */
export function windowWeights(standing: ReadonlyMap<number, PeerStanding>, window: number): Map<number, number> {
  const paid = (s: PeerStanding) => (s.bannedUntil !== undefined && window < s.bannedUntil ? 0 : Math.max(0, s.final));
  const total = [...standing.values()].reduce((sum, s) => sum + paid(s), 0);
  return new Map([...standing].map(([uid, s]) => [uid, total > 0 ? paid(s) / total : 0]));
}
