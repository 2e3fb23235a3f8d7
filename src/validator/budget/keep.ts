/**
 * The models a competition keeps for its next step (SN9 `run_step`, "models_to_keep"): up to
 * `sampleMin` of the step's models, those the moving average weights (≥ 0.001) first, by weight,
 * then those that won something, by win rate; topped up with the lowest losses. A model that
 * failed (no loss) is never kept: the retry rule alone decides whether it is looked at again, so a
 * model that fails every time is given up rather than kept forever (SN9 can keep one when a
 * competition has fewer than `sampleMin` models).
 */

/** One scored model of the step, as the keeping rule sees it. */
export interface KeepCandidate {
  uid: number;
  loss: number;
  winRate: number;
  /** Its weight in the competition's moving average after this step. */
  movingWeight: number;
}

/** Why a kept model was kept. */
export interface Kept {
  uid: number;
  why: string;
}

/** SN9's weight threshold for keeping by weight rather than by win rate. */
const WEIGHTED = 0.001;

/** The uids to keep, best first, each with its reason. */
export function modelsToKeep(models: readonly KeepCandidate[], sampleMin: number): Kept[] {
  const scored = models.filter((m) => Number.isFinite(m.loss));
  const priority = (m: KeepCandidate) => m.movingWeight >= WEIGHTED ? 1 + m.movingWeight : m.winRate;
  const ranked = scored.filter((m) => m.movingWeight >= WEIGHTED || m.winRate > 0)
    .sort((a, b) => priority(b) - priority(a) || a.loss - b.loss || a.uid - b.uid)
    .slice(0, sampleMin);
  const kept: Kept[] = ranked.map((m) => ({
    uid: m.uid,
    why: m.movingWeight >= WEIGHTED
      ? `kept: weight ${m.movingWeight.toFixed(4)} in the moving average`
      : `kept: win rate ${m.winRate.toFixed(3)}`,
  }));
  const taken = new Set(kept.map((k) => k.uid));
  for (const m of [...scored].sort((a, b) => a.loss - b.loss || a.uid - b.uid)) {
    if (kept.length >= sampleMin) break;
    if (taken.has(m.uid)) continue;
    kept.push({ uid: m.uid, why: `kept: among the ${sampleMin} lowest losses (${m.loss.toFixed(4)})` });
  }
  return kept;
}
