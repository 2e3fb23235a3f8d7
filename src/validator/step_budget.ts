/**
 * The evaluation budget in a step (./budget/): before the step, the queue is planned and the
 * step's models are the competition's queue; when the step starts its pending models become
 * current; when it is scored, each model's result joins its history and the competition keeps
 * `sampleMin` models for its next step. A resumed step evaluates the models it started with.
 */
import { scheduleAt } from "../competitions/mod.ts";
import type { CompetitionWeights, ModelOutcome } from "../scoring/mod.ts";
import { budgetAfterStep, type EvalBudget, planQueue, SN9_BUDGET, type TopMiner, topMiners } from "./budget/mod.ts";
import type { ValidatorContext } from "./context.ts";
import type { Candidate } from "./evaluator.ts";
import type { EvalRecord } from "./state.ts";
import type { Turn } from "./turn.ts";

/** The context's budget, SN9's where it sets none. */
export function budgetOf(ctx: ValidatorContext): EvalBudget {
  return ctx.budget ?? SN9_BUDGET;
}

/**
 * Plans the queue for this turn (persisting it, the notes and the looks taken) and returns the
 * competition's models for the step: a resumed step's current ones; otherwise current and pending.
 */
export async function planStep(ctx: ValidatorContext, turn: Turn): Promise<Candidate[]> {
  const budget = budgetOf(ctx);
  const { state } = ctx;
  const competitions = new Map(scheduleAt(ctx.schedule, turn.stepBlock).competitions.map((c) => [c.id, c]));
  const checkedBlocks = state.budget.checkedBlocks();
  const models = state.models().map((model) => ({
    model,
    history: state.budget.history(model.hotkey, model.competitionId),
    checkedBlock: checkedBlocks.get(model.hotkey) ?? null,
  }));
  let scanDue = turn.block - (state.lastTopMinerScan() ?? -Infinity) >= budget.topMiners.scanBlocks;
  let top: TopMiner[] | undefined;
  if (scanDue) {
    // The other validators' weights only add to the queue: a failed read waits for the next turn.
    try {
      top = topMiners(turn.metagraph, await ctx.chain.weights(ctx.netuid), budget.topMiners);
    } catch (e) {
      ctx.log(
        `budget: could not read the validators' weights, the top-miner scan waits for the next turn: ${
          (e as Error).message
        }`,
      );
      scanDue = false;
    }
  }
  const plan = planQueue({
    block: turn.block,
    budget,
    competitions,
    models,
    queue: state.budget.queue(),
    topMiners: top,
  });
  state.transaction(() => {
    state.budget.setQueue(plan.queue);
    state.budget.setNotes(plan.notes, plan.checked, turn.block);
    if (scanDue) state.setLastTopMinerScan(turn.block);
  });
  const byHotkey = new Map(models.map((p) => [p.model.hotkey, p.model]));
  return plan.queue
    .filter((q) => q.competitionId === turn.competition.id && (q.role === "current" || !turn.step))
    .map((q) => ({ model: byHotkey.get(q.hotkey)!, why: q.why }))
    .sort((a, b) => a.model.uid - b.model.uid);
}

/**
 * After scoring, in the step's finishing transaction: the results' history entries and the kept
 * models, as budget/after_step.ts decides them.
 */
export function recordBudget(
  ctx: ValidatorContext,
  turn: Turn,
  scored: { results: readonly EvalRecord[]; outcomes: readonly ModelOutcome[]; ema: CompetitionWeights },
): void {
  const budget = budgetOf(ctx);
  const { state } = ctx;
  const { competition, stepBlock } = turn;
  const hotkeyOf = new Map(scored.results.map((r) => [r.uid, r.hotkey]));
  const after = budgetAfterStep({
    queue: state.budget.queue(),
    competitionId: competition.id,
    block: stepBlock,
    results: scored.outcomes.map((o) => ({ ...o, hotkey: hotkeyOf.get(o.uid)! })),
    moving: scored.ema[competition.id] ?? {},
    sampleMin: budget.sampleMin,
  });
  for (const h of after.history) state.budget.recordHistory(h.hotkey, competition.id, h.entry, budget.historyLength);
  state.budget.setQueue(after.queue);
}
