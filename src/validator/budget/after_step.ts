/**
 * What a step does to the budget. When it starts, the competition's pending models become
 * current. When it is scored, every result joins its hotkey's history with the step winner's block
 * and loss (SN9 `_record_eval_results`: the winner is the highest win rate, `top_uid`), and the
 * competition's current models become those it keeps (SN9 `_update_uids_to_eval`). Pure: the
 * validator persists the outcome, the subnet bench applies it to its simulation.
 */
import { modelsToKeep } from "./keep.ts";
import type { QueueEntry } from "./plan.ts";
import type { EvalHistoryEntry } from "./retry.ts";

/** A scored model of the step. */
export interface StepResult {
  uid: number;
  hotkey: string;
  /** Commit block. */
  block: number;
  /** Infinity when it failed. */
  loss: number;
  winRate: number;
}

/** The queue once a competition's step has started: its pending models are current. */
export function startQueue(queue: readonly QueueEntry[], competitionId: number): QueueEntry[] {
  return queue.map((q) => q.competitionId === competitionId && q.role === "pending" ? { ...q, role: "current" } : q);
}

/** The step's winner: the highest win rate, the lowest loss among equals; none when every model failed. */
export function stepWinner<T extends StepResult>(results: readonly T[]): T | undefined {
  return results.filter((r) => Number.isFinite(r.loss))
    .sort((a, b) => b.winRate - a.winRate || a.loss - b.loss || a.uid - b.uid)[0];
}

/** What a scored step leaves: each result's history entry, and the queue with the kept models current. */
export interface AfterStep {
  history: { hotkey: string; entry: EvalHistoryEntry }[];
  queue: QueueEntry[];
}

/** The budget after a competition's scored step at `block`. */
export function budgetAfterStep(o: {
  queue: readonly QueueEntry[];
  competitionId: number;
  block: number;
  results: readonly StepResult[];
  /** The competition's moving-average weights after the step, by uid. */
  moving: Readonly<Record<number, number>>;
  sampleMin: number;
}): AfterStep {
  const winner = stepWinner(o.results);
  const history = o.results.map((r) => ({
    hotkey: r.hotkey,
    entry: { block: o.block, score: r.loss, winningBlock: winner?.block ?? 0, winningScore: winner?.loss ?? Infinity },
  }));
  const hotkeyOf = new Map(o.results.map((r) => [r.uid, r.hotkey]));
  const kept = modelsToKeep(
    o.results.map((r) => ({ uid: r.uid, loss: r.loss, winRate: r.winRate, movingWeight: o.moving[r.uid] ?? 0 })),
    o.sampleMin,
  );
  // Other competitions' entries, and models that became pending meanwhile, stay as they were.
  const others = o.queue.filter((q) => !(q.competitionId === o.competitionId && q.role === "current"));
  const taken = new Set(others.map((q) => q.hotkey));
  const current = kept.map((k) => hotkeyOf.get(k.uid)!).filter((hotkey) => !taken.has(hotkey));
  const why = new Map(kept.map((k) => [hotkeyOf.get(k.uid)!, k.why]));
  return {
    history,
    queue: [
      ...others,
      ...current.map((hotkey) => ({
        hotkey,
        competitionId: o.competitionId,
        role: "current" as const,
        why: why.get(hotkey)!,
        sinceBlock: o.block,
      })),
    ],
  };
}
