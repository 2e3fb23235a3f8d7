/**
 * A competition's turn: the metagraph and commitments synced, the competition picked (the
 * interrupted step's, or the next in the rotation) with its block and seed, the models it
 * evaluates; and what happens when its preparation fails (retried, then skipped for the turn).
 */
import type { Metagraph } from "../chain/mod.ts";
import { type Competition, scheduleAt, type ScheduleEntry } from "../competitions/mod.ts";
import { seedFromBlockHash, syncBlock, toHex } from "../data/mod.ts";
import { isTransient } from "../http/mod.ts";
import type { ValidatorContext } from "./context.ts";
import { BaseUnavailable } from "./step_base.ts";
import type { StepRecord } from "./state.ts";
import { syncModels } from "./sync_models.ts";

/** Whose turn it is, at which block and seed: a resumed step keeps its own. */
export interface Turn {
  /** The chain's head when the step was taken up. */
  block: number;
  entry: ScheduleEntry;
  metagraph: Metagraph;
  /** The interrupted step being resumed, if any. */
  step: StepRecord | undefined;
  competition: Competition;
  /** The rotation's position (the next turn takes index + 1). */
  index: number;
  stepBlock: number;
  sync: number;
  blockHash: string;
  seed: Uint8Array;
  now: () => number;
}

/** Syncs the metagraph and commitments, then picks the competition: the interrupted step's, or the next in turn. */
export async function takeTurn(ctx: ValidatorContext): Promise<Turn> {
  const now = ctx.now ?? Date.now;
  const block = await ctx.chain.currentBlock();
  const entry = scheduleAt(ctx.schedule, block);
  const metagraph = await ctx.chain.metagraph(ctx.netuid);
  ctx.state.recordOnChain(metagraph);
  syncModels(ctx.state, {
    metagraph,
    commitments: await ctx.chain.commitments(ctx.netuid),
    schedule: ctx.schedule,
    block,
  });
  const step = ctx.state.runningStep();
  let competition: Competition | undefined;
  if (step) {
    competition = entry.competitions.find((c) => c.id === step.competitionId);
    ctx.log(`resuming step ${step.id} (block ${step.block}, competition ${step.competitionId})`);
  }
  // The rotation advances only once a step has really started, so an outage mid-preparation does
  // not skip a competition's turn.
  const index = ctx.state.nextCompetitionIndex() % entry.competitions.length;
  competition ??= entry.competitions[index];
  const stepBlock = step?.block ?? block;
  const sync = syncBlock(stepBlock);
  const blockHash = await ctx.chain.blockHash(sync);
  return {
    block,
    entry,
    metagraph,
    step,
    competition,
    index,
    stepBlock,
    sync,
    blockHash,
    seed: seedFromBlockHash(blockHash),
    now,
  };
}

/** Runs a preparation phase; a failure counts against the turn (see `turnFailed`) and is rethrown. */
export async function orFailTurn<T>(ctx: ValidatorContext, turn: Turn, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    const { step, stepBlock, competition, seed, index } = turn;
    await turnFailed(ctx, e as Error, { step, stepBlock, competition, seed, index, nowMs: turn.now() });
    throw e;
  }
}

/** Thrown when a competition's data failed for good: its turn is recorded as failed and the rotation moves on. */
export class StepSkipped extends Error {
  constructor(readonly competitionId: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StepSkipped";
  }
}

/**
 * Counts a failed turn: the data could not be prepared, or an adapter competition's base could
 * not serve. After `maxDataAttempts` tries, or at once for a failure that no retry can mend (the
 * dataset refused for good, a base off its pin), the step is recorded as failed with the reason and
 * the rotation moves on, so one broken dataset or base cannot hold the other competitions.
 * Throws `StepSkipped` then; otherwise returns and the caller rethrows for a later retry.
 */
async function turnFailed(
  ctx: ValidatorContext,
  e: Error,
  o: {
    step: StepRecord | undefined;
    stepBlock: number;
    competition: Competition;
    seed: Uint8Array;
    index: number;
    nowMs: number;
  },
): Promise<void> {
  const failures = ctx.state.failedTurns(o.competition.id) + 1;
  const limit = ctx.maxDataAttempts ?? 3;
  const lasting = e instanceof BaseUnavailable ? e.lasting : !isTransient(e);
  if (!lasting && failures < limit) {
    ctx.state.setFailedTurns(o.competition.id, failures);
    ctx.log(`competition ${o.competition.id}: ${whatFailed(e)} (try ${failures} of ${limit}): ${e.message}`);
    return;
  }
  const reason = `${whatFailed(e)}${lasting ? "" : ` ${failures} times`}: ${e.message}`;
  ctx.state.transaction(() => {
    ctx.state.failStep({
      stepId: o.step?.id,
      block: o.stepBlock,
      competitionId: o.competition.id,
      seed: toHex(o.seed),
      reason,
      nowMs: o.nowMs,
    });
    ctx.state.setFailedTurns(o.competition.id, 0);
    if (!o.step) ctx.state.setNextCompetitionIndex(o.index + 1);
  });
  ctx.log(`competition ${o.competition.id} (${o.competition.name}) skipped this turn: ${reason}`);
  await ctx.telemetry.log({ kind: "step_failed", block: o.stepBlock, competition: o.competition.id, reason })
    .catch((t) => ctx.log(`telemetry: ${(t as Error).message}`));
  throw new StepSkipped(o.competition.id, reason, { cause: e });
}

/** What failed, in words: the data, or an adapter competition's base. */
function whatFailed(e: Error): string {
  return e instanceof BaseUnavailable ? "the base model failed" : "data preparation failed";
}
