/** A step's end: SN9 scoring over its results, the moving average, the subnet's weights, the telemetry row. */
import { scheduleAt } from "../competitions/mod.ts";
import type { EvalManifest } from "../data/mod.ts";
import {
  type CompetitionWeights,
  explainOutcomes,
  improvementOverBase,
  recordCompetitionWeights,
  scoreCompetition,
  subnetWeights,
} from "../scoring/mod.ts";
import type { ValidatorContext } from "./context.ts";
import type { StepBase } from "./step_base.ts";
import { recordBudget } from "./step_budget.ts";
import type { EvalRecord } from "./state.ts";
import { timingStats } from "./telemetry.ts";
import type { Turn } from "./turn.ts";

/** What scoring made of a step. */
export interface Scored {
  /** The results that count: those whose hotkey still holds its uid. */
  results: EvalRecord[];
  ema: CompetitionWeights;
  subnet: Map<number, number>;
}

/**
 * SN9 scoring over the step's results (models that failed count as failed, not as absent), the
 * moving average, and the subnet's weights over every competition; the step is marked done, with
 * the budget's history and kept models in the same transaction.
 */
export function scoreStep(
  ctx: ValidatorContext,
  turn: Turn,
  step: { stepId: number; done: Map<string, EvalRecord>; stepBase: StepBase | undefined },
): Scored {
  const { stepId, done, stepBase } = step;
  const { competition, stepBlock } = turn;
  // A result counts only while its hotkey still holds its uid (a deregistered hotkey's results,
  // from before a restart, must not pass to the uid's new owner).
  const holder = new Map(turn.metagraph.neurons.map((n) => [n.hotkey, n.uid]));
  const results = [...done.values()].filter((r) => holder.get(r.hotkey) === r.uid);
  // The base counts as committed when its schedule entry began.
  const baseline = stepBase && { loss: stepBase.baseline.loss, block: scheduleAt(ctx.schedule, stepBlock).startBlock };
  const outcomes = scoreCompetition(
    results.map((r) => ({ uid: r.uid, block: r.commitBlock, loss: r.loss ?? Infinity })),
    { decay: competition.epsilon, block: stepBlock, baseline },
  );
  const stepWeights = new Map(outcomes.map((o) => [o.uid, o.weight]));
  const ema = recordCompetitionWeights(ctx.state.ema(), competition.id, stepWeights);
  const explanations = explainOutcomes(outcomes, { decay: competition.epsilon, block: stepBlock, baseline });
  const byUid = new Map(results.map((r) => [r.uid, r.hotkey]));
  ctx.state.finishStep(
    stepId,
    outcomes.map((o) => ({
      hotkey: byUid.get(o.uid)!,
      winRate: o.winRate,
      wins: o.wins,
      epsilon: o.epsilon,
      weight: o.weight,
      excluded: o.excluded ?? null,
      explanation: explanations.get(o.uid)!,
    })),
    ema,
    turn.now(),
    () => recordBudget(ctx, turn, { results, outcomes, ema }),
  );
  const shares = new Map(turn.entry.competitions.map((c) => [c.id, c.rewardShare]));
  return { results, ema, subnet: subnetWeights(ema, shares) };
}

/** The step's telemetry row: every counted model's losses, weights and timings, and what was sent. */
export async function logStep(
  ctx: ValidatorContext,
  o: {
    turn: Turn;
    stepId: number;
    scored: Scored;
    manifest: EvalManifest;
    stepBase: StepBase | undefined;
    weightsResult: string;
  },
): Promise<void> {
  const { competition, stepBlock } = o.turn;
  const { results, ema, subnet } = o.scored;
  const holders = new Set(results.map((r) => r.hotkey));
  await ctx.telemetry.log({
    kind: "step",
    step: o.stepId,
    block: stepBlock,
    competition: competition.id,
    models: ctx.state.evals(o.stepId).filter((e) => holders.has(e.hotkey)).map((e) => ({
      ...e,
      weightedTaskLosses: Object.fromEntries(
        competition.tasks.map((t) => [t.id, (e.taskLosses[t.id] ?? NaN) * t.weight]),
      ),
      competitionWeight: ema[competition.id]?.[e.uid] ?? 0,
      improvement: improvementOverBase(o.stepBase?.baseline.loss, e.loss),
    })),
    timings: {
      loadMs: timingStats(results.map((r) => r.loadMs).filter((x): x is number => x !== null)),
      computeMs: timingStats(results.map((r) => r.computeMs).filter((x): x is number => x !== null)),
    },
    baseline: o.stepBase?.baseline ?? null,
    subnetWeights: Object.fromEntries(subnet),
    weightsResult: o.weightsResult,
    manifest: o.manifest,
  });
}
