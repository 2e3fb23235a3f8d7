/**
 * One turn of the validator loop: a step (./step.ts), then the weights duty whatever the step did.
 * A step that completed has sent its weights; a turn with nothing to evaluate, a competition whose
 * data failed, or a step that failed still reveals the commits that are due and sets weights when
 * the chain allows, from the moving average the state holds. A competition without miners never
 * costs the subnet its weights.
 */
import { scheduleAt } from "../competitions/mod.ts";
import { subnetWeights } from "../scoring/mod.ts";
import type { ValidatorContext } from "./context.ts";
import { runStep, type StepSummary } from "./step.ts";
import { StepSkipped } from "./turn.ts";
import { sendWeights } from "./weights_sender.ts";

/** How a turn ended. */
export type IterationOutcome =
  /** A step completed (its summary holds what it did). */
  | "done"
  /** The competition in turn had nothing to evaluate. */
  | "idle"
  /** The competition's data or base failed for good: its turn was recorded as failed and skipped. */
  | "skipped"
  /** The step failed and will be retried. */
  | "failed"
  /** A stop was asked for (`ctx.signal`): the step was abandoned, to resume on restart. */
  | "stopped";

/** What a turn did. */
export interface IterationResult {
  outcome: IterationOutcome;
  summary?: StepSummary;
  error?: Error;
  /** What the weights duty did ("revealed at block …", "waiting for the rate limit …"). */
  weightsResult?: string;
}

/** Runs one turn: the step, then the weights duty when the step did not send weights itself. */
export async function runIteration(ctx: ValidatorContext): Promise<IterationResult> {
  let error: Error | undefined;
  try {
    const summary = await runStep(ctx);
    if (summary) return { outcome: "done", summary, weightsResult: summary.weightsResult };
  } catch (e) {
    if (ctx.signal?.aborted) return { outcome: "stopped" };
    error = e as Error;
  }
  const outcome = error ? (error instanceof StepSkipped ? "skipped" : "failed") : "idle";
  if (ctx.signal?.aborted) return { outcome: "stopped", error };
  if (!ctx.setWeights) return { outcome, error, weightsResult: "not sent (--dont-set-weights)" };
  try {
    return { outcome, error, weightsResult: await weightsDuty(ctx) };
  } catch (e) {
    return { outcome, error, weightsResult: `weights duty failed, will retry: ${(e as Error).message}` };
  }
}

/** Reveals what is due and sets weights when due, from the moving average already recorded. */
export async function weightsDuty(ctx: ValidatorContext): Promise<string> {
  const block = await ctx.chain.currentBlock();
  const entry = scheduleAt(ctx.schedule, block);
  const metagraph = await ctx.chain.metagraph(ctx.netuid);
  const shares = new Map(entry.competitions.map((c) => [c.id, c.rewardShare]));
  return await sendWeights(ctx, subnetWeights(ctx.state.ema(), shares), metagraph);
}
