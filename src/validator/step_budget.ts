/**
 * The evaluation budget in a step (./budget/): before the step, the queue is planned and the
 * step's models are the competition's queue; when the step starts its pending models become
 * current; when it is scored, each model's result joins its history and the competition keeps
 * `sampleMin` models for its next step. A resumed step evaluates the models it started with.
 */
import { scheduleAt } from "../competitions/mod.ts";
import type { CompetitionWeights, ModelOutcome } from "../scoring/mod.ts";
import {
  type EvalBudget,
  modelsToKeep,
  planQueue,
  queueAfterStep,
  type QueueEntry,
  SN9_BUDGET,
  stepWinner,
  type TopMiner,
  topMiners,
} from "./budget/mod.ts";
import type { ValidatorContext } from "./context.ts";
import type { EvalRecord, TrackedModel } from "./state.ts";
import type { Turn } from "./turn.ts";

/** The context's budget, SN9's where it sets none. */
export function budgetOf(ctx: ValidatorContext): EvalBudget {
  return ctx.budget ?? SN9_BUDGET;
}

/** A model of the step and why it is in it. */
export interface Candidate {
  model: TrackedModel;
  why: string;
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

/** The queue once a competition's step has started: its pending models are current. Run in the step's start transaction. */
export function startQueue(queue: readonly QueueEntry[], competitionId: number): QueueEntry[] {
  return queue.map((q) => q.competitionId === competitionId && q.role === "pending" ? { ...q, role: "current" } : q);
}

/**
 * After scoring, in the step's finishing transaction: every result joins its hotkey's history
 * (with the step winner's block and loss), and the competition's current models become the ones
 * it keeps (budget/after_step.ts).
 */
export function recordBudget(
  ctx: ValidatorContext,
  turn: Turn,
  scored: { results: readonly EvalRecord[]; outcomes: readonly ModelOutcome[]; ema: CompetitionWeights },
): void {
  const { results, outcomes, ema } = scored;
  const budget = budgetOf(ctx);
  const { state } = ctx;
  const { competition, stepBlock } = turn;
  const winner = stepWinner(outcomes);
  for (const r of results) {
    state.budget.recordHistory(r.hotkey, competition.id, {
      block: stepBlock,
      score: r.loss ?? Infinity,
      winningBlock: winner?.block ?? 0,
      winningScore: winner?.loss ?? Infinity,
    }, budget.historyLength);
  }
  const moving = ema[competition.id] ?? {};
  const kept = modelsToKeep(
    outcomes.map((o) => ({ uid: o.uid, loss: o.loss, winRate: o.winRate, movingWeight: moving[o.uid] ?? 0 })),
    budget.sampleMin,
  );
  const hotkeyOf = new Map(results.map((r) => [r.uid, r.hotkey]));
  const keptHotkeys = kept.map((k) => ({ hotkey: hotkeyOf.get(k.uid)!, why: k.why }));
  state.budget.setQueue(queueAfterStep(state.budget.queue(), {
    competitionId: competition.id,
    kept: keptHotkeys,
    block: stepBlock,
  }));
}
