/**
 * Why each model earns what it earns, in one line a miner can act on: the rule that decided its
 * weight (failed, not competitive against an earlier model, the wins it lost and to whom, the
 * softmax gap to the best win rate). Computed once with the scores and stored beside them, so
 * the leaderboard, the run log and W&B say the same thing.
 */
import { epsilonAt, type EpsilonDecay } from "./epsilon.ts";
import { baselineBar, type ModelOutcome, type ScoringAt } from "./score_competition.ts";
import { WEIGHT_TEMPERATURE } from "./weights.ts";
import { beats } from "./wins.ts";

/** The explanation of every outcome, by uid. */
export function explainOutcomes(outcomes: readonly ModelOutcome[], at: ScoringAt): Map<number, string> {
  const { decay, block: current, baseline } = at;
  const contenders = outcomes.filter((o) => o.excluded === undefined);
  const bestRate = Math.max(0, ...contenders.map((o) => o.winRate));
  const out = new Map<number, string>();
  const loss = (x: number) => x.toFixed(4);
  for (const o of outcomes) {
    if (o.excluded === "failed") {
      out.set(o.uid, "no loss (see the status): takes no part in the wins, no weight");
      continue;
    }
    if (o.excluded === "no-improvement") {
      const b = baseline!, bar = baselineBar(b, decay, current);
      const gain = b.loss - o.loss;
      out.set(
        o.uid,
        gain <= 0
          ? `no better than the base (loss ${loss(b.loss)}${gain < 0 ? `, worse by ${loss(-gain)}` : ""}): no weight`
          : `improves on the base by ${loss(gain)} (${(100 * gain / b.loss).toFixed(2)}%), not by its epsilon ${
            epsilonAt(decay, current, b.block).toFixed(5)
          }: needs a loss below ${loss(bar)}; no weight`,
      );
      continue;
    }
    if (o.excluded === "not-competitive") {
      // The earlier model it can never overtake, even once that model's advantage is down to `end`.
      const blockers = outcomes.filter((e) =>
        Number.isFinite(e.loss) && e.block < o.block && !(o.loss < e.loss * (1 - decay.end))
      );
      // A copy is named as one (the model it copies), else the strongest earlier model.
      const e = blockers.find((b) => b.loss === o.loss) ??
        blockers.sort((a, b) => a.loss - b.loss || a.block - b.block)[0];
      out.set(
        o.uid,
        o.loss === e.loss
          ? `same loss as uid ${e.uid}, committed earlier (block ${e.block}): a copy can never win, no weight`
          : `cannot overtake uid ${e.uid} (block ${e.block}, loss ${
            loss(e.loss)
          }) even after its advantage decays to ${decay.end}: needs a loss below ${
            loss(e.loss * (1 - decay.end))
          }; no weight`,
      );
      continue;
    }
    const others = contenders.filter((c) => c.uid !== o.uid);
    if (others.length === 0) {
      // Alone among the models that compete; the others failed, cannot overtake it, or do not beat the base.
      const rest = outcomes.length - 1;
      out.set(
        o.uid,
        rest === 0
          ? "alone in the competition: all of its weight"
          : `the only model competing (the other ${
            rest === 1 ? "one takes" : `${rest} take`
          } no part in the wins): all of its weight`,
      );
      continue;
    }
    const lostTo = others.filter((c) => !beats(o, c, at));
    const record = `wins ${o.wins} of ${others.length}`;
    if (lostTo.length === 0) {
      out.set(o.uid, `${record}: the best win rate, ${weightText(o.weight)}`);
      continue;
    }
    const why = lostTo.slice(0, 3).map((c) => lossReason(o, c, decay, current)).join("; ");
    const more = lostTo.length > 3 ? `; and ${lostTo.length - 3} more` : "";
    const gap = bestRate - o.winRate;
    const weight = gap > 0
      ? `win rate ${o.winRate.toFixed(3)} is ${
        gap.toFixed(3)
      } below the best, and weight is softmax(win rate / ${WEIGHT_TEMPERATURE}): ${weightText(o.weight)}`
      : `shares the best win rate: ${weightText(o.weight)}`;
    out.set(o.uid, `${record}: ${why}${more}. ${weight}`);
  }
  return out;
}

/** Why `o` did not beat `c`. */
function lossReason(o: ModelOutcome, c: ModelOutcome, decay: EpsilonDecay, current: number): string {
  const l = (x: number) => x.toFixed(4);
  if (c.block < o.block) {
    const eps = epsilonAt(decay, current, c.block);
    if (o.loss === c.loss) return `ties uid ${c.uid}'s loss, committed later: no win`;
    if (o.loss < c.loss) {
      return `better than uid ${c.uid} (${l(o.loss)} < ${l(c.loss)}) but not by its epsilon ${
        eps.toFixed(5)
      } (it committed earlier)`;
    }
    return `uid ${c.uid} has a lower loss (${l(c.loss)}) and committed earlier`;
  }
  if (o.block < c.block) {
    return `uid ${c.uid} beats even our epsilon-discounted loss (${l(c.loss)} vs ${
      l(o.loss * (1 - epsilonAt(decay, current, o.block)))
    })`;
  }
  return o.loss === c.loss
    ? `ties uid ${c.uid} (same block, same loss): no win either way`
    : `uid ${c.uid} has a lower loss (${l(c.loss)})`;
}

function weightText(w: number): string {
  return w >= 1e-4 ? `weight ${w.toFixed(4)}` : w > 0 ? `weight ≈ 0 (${w.toExponential(1)})` : "weight 0";
}
