/**
 * Per-competition weights smoothed across steps (SN9's CompetitionTracker): the first record of
 * a competition is taken as is; later ones blend 0.5 old + 0.5 new, so a model absent from a
 * step halves. Subnet weights are the competitions' weights times their reward shares,
 * renormalised to sum to 1. Plain data in and out, so the validator can persist it.
 */

/** Smoothing factor of the moving average. */
export const EMA_ALPHA = 0.5;

/** Weights by competition id, then uid. */
export type CompetitionWeights = Record<number, Record<number, number>>;

/**
 * Records one step's weights for a competition (normalised to sum 1 first; all-zero stays zero)
 * and returns the new state; the input state is not modified.
 */
export function recordCompetitionWeights(
  state: CompetitionWeights,
  competitionId: number,
  stepWeights: ReadonlyMap<number, number>,
): CompetitionWeights {
  const total = [...stepWeights.values()].reduce((a, b) => a + b, 0);
  const fresh: Record<number, number> = {};
  for (const [uid, w] of stepWeights) fresh[uid] = total > 0 ? w / total : 0;
  const previous = state[competitionId];
  if (!previous) return { ...state, [competitionId]: fresh };
  const blended: Record<number, number> = {};
  for (const uid of new Set([...Object.keys(previous), ...Object.keys(fresh)].map(Number))) {
    const w = EMA_ALPHA * (fresh[uid] ?? 0) + (1 - EMA_ALPHA) * (previous[uid] ?? 0);
    if (w > 0) blended[uid] = w;
  }
  return { ...state, [competitionId]: blended };
}

/** Forgets a uid everywhere (its hotkey changed: the new owner starts from nothing). */
export function forgetUid(state: CompetitionWeights, uid: number): CompetitionWeights {
  const out: CompetitionWeights = {};
  for (const [c, weights] of Object.entries(state)) {
    const { [uid]: _, ...rest } = weights;
    out[Number(c)] = rest;
  }
  return out;
}

/** Σ over competitions of weight × reward share, renormalised; competitions not in `shares` are ignored. */
export function subnetWeights(state: CompetitionWeights, shares: ReadonlyMap<number, number>): Map<number, number> {
  const sum = new Map<number, number>();
  for (const [competitionId, share] of shares) {
    for (const [uid, w] of Object.entries(state[competitionId] ?? {})) {
      sum.set(Number(uid), (sum.get(Number(uid)) ?? 0) + w * share);
    }
  }
  const total = [...sum.values()].reduce((a, b) => a + b, 0);
  return new Map([...sum].sort(([a], [b]) => a - b).map(([uid, w]) => [uid, total > 0 ? w / total : 0]));
}
