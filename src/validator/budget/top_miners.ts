/**
 * The miners other validators weight (SN9's vTrust sync, taoverse `metagraph/utils.py`
 * `get_top_miners`): for each validator with a permit and at least the minimum stake, every uid
 * holding at least `minShare` of that validator's total weight. Evaluating them keeps this
 * validator's weights close to consensus, so its vTrust does not fall while it has not yet seen
 * the model others already reward.
 */
import type { Metagraph, WeightRows } from "../../chain/mod.ts";
import type { TopMinerRule } from "./settings.ts";

/** A top miner and the validator uids that weight it. */
export interface TopMiner {
  uid: number;
  weightedBy: number[];
}

/** The top miners by the validators' weights rows, by uid. */
export function topMiners(
  metagraph: Metagraph,
  weights: WeightRows,
  rule: Pick<TopMinerRule, "minValidatorStake" | "minShare">,
): TopMiner[] {
  const out = new Map<number, number[]>();
  for (const n of metagraph.neurons) {
    if (!n.validatorPermit || n.stake < rule.minValidatorStake) continue;
    const row = weights[n.uid] ?? [];
    const total = row.reduce((s, [, w]) => s + w, 0);
    if (total <= 0) continue;
    for (const [uid, w] of row) {
      if (w >= total * rule.minShare) out.set(uid, [...(out.get(uid) ?? []), n.uid]);
    }
  }
  return [...out].sort(([a], [b]) => a - b).map(([uid, weightedBy]) => ({ uid, weightedBy }));
}
