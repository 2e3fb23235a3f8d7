/**
 * No spoiler uploads: a model that cannot beat every earlier model even once their time
 * advantage has fully decayed can never become the best, so it is dropped before wins are
 * counted (it would only take wins away from others). Failed models (infinite loss) drop first.
 *
 * Keep m  ⇔  loss(m) is finite and loss(m) < loss(e) · (1 − end) for every model e with a
 * finite loss committed at a strictly earlier block.
 */
import type { EpsilonDecay } from "./epsilon.ts";
import { canonicalOrder, type ScoredModel } from "./models.ts";

/** The uids that stay in competition, ascending. */
export function competitiveUids(models: readonly ScoredModel[], decay: EpsilonDecay): number[] {
  const finite = canonicalOrder(models).filter((m) => Number.isFinite(m.loss));
  return finite
    .filter((m) => finite.every((e) => e.block >= m.block || m.loss < e.loss * (1 - decay.end)))
    .map((m) => m.uid);
}
