/**
 * What a scored step leaves for the budget: the step's winner, whom every result's history
 * remembers (SN9 `_record_eval_results`: the model with the highest win rate, `top_uid`), and the
 * queue with the competition's current models replaced by those it keeps (SN9 `_update_uids_to_eval`).
 */
import type { QueueEntry } from "./plan.ts";

/** A scored model as the winner rule sees it. */
export interface StepResult {
  uid: number;
  /** Commit block. */
  block: number;
  loss: number;
  winRate: number;
}

/** The step's winner: the highest win rate, the lowest loss among equals; none when every model failed. */
export function stepWinner<T extends StepResult>(results: readonly T[]): T | undefined {
  return [...results].filter((r) => Number.isFinite(r.loss))
    .sort((a, b) => b.winRate - a.winRate || a.loss - b.loss || a.uid - b.uid)[0];
}

/**
 * The queue after a competition's step: its current models become the `kept` ones; other
 * competitions' entries, and models that became pending meanwhile, stay as they were.
 */
export function queueAfterStep(
  queue: readonly QueueEntry[],
  { competitionId, kept, block }: {
    competitionId: number;
    kept: readonly { hotkey: string; why: string }[];
    /** The step's block. */
    block: number;
  },
): QueueEntry[] {
  const others = queue.filter((q) => !(q.competitionId === competitionId && q.role === "current"));
  const taken = new Set(others.map((q) => q.hotkey));
  return [
    ...others,
    ...kept.filter((k) => !taken.has(k.hotkey)).map((k) => ({
      hotkey: k.hotkey,
      competitionId,
      role: "current" as const,
      why: k.why,
      sinceBlock: block,
    })),
  ];
}
