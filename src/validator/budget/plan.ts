/**
 * Which models the next steps evaluate (SN9's update loop, macrocosm-os/pretraining
 * `neurons/validator.py` `update_models`, `_wait_for_open_eval_slot`, `_queue_top_models_for_eval`).
 * Each turn, over every tracked model:
 * - a new or changed commitment past its evaluation delay joins the pending set, oldest first,
 *   while kept + pending stay under `updatedModelsLimit`;
 * - a model already evaluated is looked at at most once per `revisitBlocks`, least recently first,
 *   and joins the pending set when the retry rule says so (./retry.ts);
 * - when the top-miner scan is due, a model that a staked validator weights joins at once, over
 *   the limit as in SN9, unless it was evaluated in the last `recentBlocks`.
 * Every model gets a note saying why it is or is not in the next step. Pure: the caller persists.
 *
 * SN9 finds new commitments only when its uid iterator reaches the uid; here every commitment is
 * read each turn (one query), so a new model waits for nothing but its delay and a free slot.
 */
import type { Competition } from "../../competitions/mod.ts";
import type { TrackedModel } from "../state_records.ts";
import { type EvalHistoryEntry, shouldRetry } from "./retry.ts";
import type { EvalBudget } from "./settings.ts";
import type { TopMiner } from "./top_miners.ts";

/** A model waiting for a competition's next step ("pending") or taking part in it ("current"). */
export interface QueueEntry {
  hotkey: string;
  competitionId: number;
  role: "pending" | "current";
  why: string;
  sinceBlock: number;
}

/** What the planner knows of one tracked model. */
export interface PlanModel {
  model: TrackedModel;
  history: readonly EvalHistoryEntry[];
  /** The block this model was last looked at for a retry, if ever. */
  checkedBlock: number | null;
}

/** The planner's inputs. */
export interface PlanInput {
  block: number;
  budget: EvalBudget;
  /** The competitions in force, by id. */
  competitions: ReadonlyMap<number, Competition>;
  models: readonly PlanModel[];
  queue: readonly QueueEntry[];
  /** The top miners, when the scan is due this turn (undefined otherwise). */
  topMiners?: readonly TopMiner[];
}

/** The planner's decisions. */
export interface Plan {
  /** The queue after this turn: entries dropped for models no longer eligible, new pending ones added. */
  queue: QueueEntry[];
  /** Models looked at for a retry this turn (their `checkedBlock` becomes `block`). */
  checked: string[];
  /** hotkey → why it is or is not in the next step. */
  notes: Map<string, string>;
}

/** Plans the queue for the coming steps. */
export function planQueue(input: PlanInput): Plan {
  const { block, budget, competitions } = input;
  const byHotkey = new Map(input.models.map((p) => [p.model.hotkey, p]));
  const notes = new Map<string, string>();
  const checked: string[] = [];
  const eligible = (p: PlanModel | undefined, competitionId: number) =>
    p !== undefined && p.model.competitionId === competitionId && competitions.has(competitionId) &&
    p.model.status !== "rejected" && p.model.status !== "ignored";
  const queue = input.queue.filter((q) => eligible(byHotkey.get(q.hotkey), q.competitionId));
  const queued = new Set(queue.map((q) => q.hotkey));
  const join = (p: PlanModel, why: string) => {
    queue.push({
      hotkey: p.model.hotkey,
      competitionId: p.model.competitionId,
      role: "pending",
      why,
      sinceBlock: block,
    });
    queued.add(p.model.hotkey);
  };
  const free = () => budget.updatedModelsLimit - queue.length;
  const waiting: PlanModel[] = [];
  for (const p of input.models) {
    if (queued.has(p.model.hotkey)) continue;
    const competition = competitions.get(p.model.competitionId);
    const note = standingNote(p, competition, block);
    if (note !== null) notes.set(p.model.hotkey, note);
    else waiting.push(p);
  }
  // New commitments first, oldest first, then retries, least recently looked at first.
  const fresh = waiting.filter(isFresh).sort((a, b) =>
    a.model.commitBlock - b.model.commitBlock || a.model.uid - b.model.uid
  );
  for (const p of fresh) {
    if (free() > 0) join(p, "new commitment");
    else notes.set(p.model.hotkey, fullNote(budget));
  }
  const seen = waiting.filter((p) => !isFresh(p))
    .sort((a, b) => (a.checkedBlock ?? -1) - (b.checkedBlock ?? -1) || a.model.uid - b.model.uid);
  for (const p of seen) {
    const competition = competitions.get(p.model.competitionId)!;
    const verdict = shouldRetry(p.history, {
      decay: competition.epsilon,
      block,
      maxFailedAttempts: budget.maxFailedAttempts,
    });
    const due = p.checkedBlock === null || block - p.checkedBlock >= budget.revisitBlocks;
    if (!due) {
      notes.set(p.model.hotkey, `${verdict.why}; looked at again from block ${p.checkedBlock! + budget.revisitBlocks}`);
    } else if (!verdict.retry) {
      checked.push(p.model.hotkey);
      notes.set(p.model.hotkey, verdict.why);
    } else if (free() > 0) {
      checked.push(p.model.hotkey);
      join(p, verdict.why);
    } else notes.set(p.model.hotkey, `${verdict.why}, but ${fullNote(budget)}`);
  }
  for (const top of input.topMiners ?? []) {
    const p = input.models.find((m) => m.model.uid === top.uid);
    if (!p || queued.has(p.model.hotkey) || !waiting.includes(p)) continue;
    const last = p.history.at(-1)?.block;
    if (last !== undefined && block - last < budget.topMiners.recentBlocks) continue;
    join(p, `queued: validator uid ${top.weightedBy.join(", ")} weights it`);
  }
  for (const q of queue) notes.set(q.hotkey, q.why);
  return { queue, checked, notes };
}

/** A commitment not evaluated since it was made. */
function isFresh(p: PlanModel): boolean {
  return p.model.status === "pending" && p.history.length === 0;
}

/** Why a model cannot be queued whatever the budget, or null when it can be. */
function standingNote(p: PlanModel, competition: Competition | undefined, block: number): string | null {
  const m = p.model;
  if (m.status === "ignored") return m.reason ?? "ignored";
  if (m.status === "rejected") return `rejected: ${m.reason ?? ""}; a new commitment starts it afresh`;
  if (!competition) return `competition ${m.competitionId} is not in force at block ${block}`;
  const ready = m.commitBlock + competition.evalBlockDelay;
  if (ready > block) return `waiting for its evaluation delay, until block ${ready}`;
  return null;
}

function fullNote(budget: EvalBudget): string {
  return `waiting for an open slot (${budget.updatedModelsLimit} models kept or pending)`;
}
