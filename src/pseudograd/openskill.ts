/**
 * OpenSkill's Plackett–Luce update (Weng & Lin 2011, Algorithm 4), one player per team, as
 * Templar and SN38 rate their peers each window (docs/pseudograd.md, "OpenSkill"; vivekjoshy/openskill.py
 * `openskill/models/weng_lin/plackett_luce.py`): β 7, τ 0.1, κ 1e-4, priors μ 25, σ 25/3,
 * ordinal μ − 3σ. On ties and exact zeros this follows openskill.py 6.2.0 and openskill.js 5.0.1
 * (a score of 0 is a score like any other, and a tie counts only the player itself as "the same"),
 * not 6.1.3, whose `ranks[i] or i` turns a 0.0 score into its index. Margin is 0, so scores act
 * only through ranks.
 */

/** A peer's rating. */
export interface Rating {
  mu: number;
  sigma: number;
}

/** The model's constants. */
export interface PlackettLuceSettings {
  beta: number;
  tau: number;
  kappa: number;
}

export const OPENSKILL_DEFAULTS: PlackettLuceSettings = { beta: 7, tau: 0.1, kappa: 1e-4 };

/** A newcomer's rating: μ 25, σ 25/3. */
export const PRIOR_RATING: Rating = { mu: 25, sigma: 25 / 3 };

/** The ordinal a rating ranks by: μ − 3σ. */
export function ordinal(r: Rating): number {
  return r.mu - 3 * r.sigma;
}

/** The ratings after one match in which a higher `score` places higher (ties share a place). */
export function ratePlackettLuce(
  ratings: readonly Rating[],
  scores: readonly number[],
  s: PlackettLuceSettings = OPENSKILL_DEFAULTS,
): Rating[] {
  if (ratings.length !== scores.length) throw new RangeError("one score per rating");
  const n = ratings.length;
  if (n < 2) return ratings.map((r) => ({ ...r }));
  const sigma = ratings.map((r) => Math.sqrt(r.sigma * r.sigma + s.tau * s.tau));
  const mu = ratings.map((r) => r.mu);
  const r = scores.map((x) => -x);
  const sorted = [...r].sort((a, b) => a - b);
  const rank = r.map((x) => sorted.indexOf(x));
  const c = Math.sqrt(sigma.reduce((sum, sg) => sum + sg * sg + s.beta * s.beta, 0));
  const e = mu.map((m) => Math.exp(m / c));
  const sumQ = rank.map((rq) => e.reduce((sum, ei, i) => (rank[i] >= rq ? sum + ei : sum), 0));
  const A = rank.map((rq) => rank.filter((x) => x === rq).length);
  return ratings.map((_, i) => {
    let omega = 0, delta = 0;
    for (let q = 0; q < n; q++) {
      if (rank[q] > rank[i]) continue;
      const t = e[i] / sumQ[q];
      delta += (t * (1 - t)) / A[q];
      omega += q === i ? (1 - t) / A[q] : -t / A[q];
    }
    const variance = sigma[i] * sigma[i];
    const gamma = sigma[i] / c;
    omega *= variance / c;
    delta *= (variance / (c * c)) * gamma;
    return { mu: mu[i] + omega, sigma: sigma[i] * Math.sqrt(Math.max(1 - delta, s.kappa)) };
  });
}
