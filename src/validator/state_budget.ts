/**
 * What the evaluation budget remembers between turns (./budget/): each hotkey's recent
 * evaluations for the retry rule, the queue of models waiting for or taking part in a
 * competition's step, when each model was last looked at, and the note saying why each model is or
 * is not in the next step. Written with the step's own transactions (`ValidatorState.transaction`),
 * so a kill leaves the queue and the history as the last finished step left them.
 */
import type { DatabaseSync } from "node:sqlite";
import { formatReason } from "../../eval/mod.ts";
import type { EvalHistoryEntry, QueueEntry } from "./budget/mod.ts";
import { num, type Row } from "./state_rows.ts";

/** The budget's tables (created with the rest of the state's schema). */
export const BUDGET_SCHEMA = `
CREATE TABLE IF NOT EXISTS eval_history (
  hotkey TEXT NOT NULL, competition_id INTEGER NOT NULL, block INTEGER NOT NULL, score REAL,
  winning_block INTEGER NOT NULL, winning_score REAL, PRIMARY KEY (hotkey, competition_id, block));
CREATE TABLE IF NOT EXISTS eval_queue (
  hotkey TEXT PRIMARY KEY, competition_id INTEGER NOT NULL, role TEXT NOT NULL, why TEXT NOT NULL,
  since_block INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS budget_notes (hotkey TEXT PRIMARY KEY, checked_block INTEGER, note TEXT NOT NULL);
`;

/** The budget's records in the state database. */
export class BudgetRecords {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** A hotkey's evaluations in a competition, oldest first (Infinity for a failed one). */
  history(hotkey: string, competitionId: number): EvalHistoryEntry[] {
    return (this.#db.prepare(
      "SELECT * FROM eval_history WHERE hotkey = ? AND competition_id = ? ORDER BY block",
    ).all(hotkey, competitionId) as Row[]).map((r) => ({
      block: Number(r.block),
      score: num(r.score) ?? Infinity,
      winningBlock: Number(r.winning_block),
      winningScore: num(r.winning_score) ?? Infinity,
    }));
  }

  /** Appends an evaluation to a hotkey's history, keeping its newest `keep`. */
  recordHistory(hotkey: string, competitionId: number, e: EvalHistoryEntry, keep: number): void {
    this.#db.prepare(
      `INSERT OR REPLACE INTO eval_history (hotkey, competition_id, block, score, winning_block, winning_score)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(hotkey, competitionId, e.block, finite(e.score), e.winningBlock, finite(e.winningScore));
    this.#db.prepare(
      `DELETE FROM eval_history WHERE hotkey = ? AND competition_id = ? AND block NOT IN
       (SELECT block FROM eval_history WHERE hotkey = ? AND competition_id = ? ORDER BY block DESC LIMIT ?)`,
    ).run(hotkey, competitionId, hotkey, competitionId, keep);
  }

  /** Forgets everything about a hotkey: its model changed, or it left the subnet. */
  forget(hotkey: string): void {
    for (const table of ["eval_history", "eval_queue", "budget_notes"]) {
      this.#db.prepare(`DELETE FROM ${table} WHERE hotkey = ?`).run(hotkey);
    }
  }

  /** The queue, every competition's. */
  queue(): QueueEntry[] {
    return (this.#db.prepare("SELECT * FROM eval_queue ORDER BY competition_id, hotkey").all() as Row[]).map((r) => ({
      hotkey: r.hotkey as string,
      competitionId: Number(r.competition_id),
      role: r.role as QueueEntry["role"],
      why: r.why as string,
      sinceBlock: Number(r.since_block),
    }));
  }

  /** Replaces the whole queue. */
  setQueue(entries: readonly QueueEntry[]): void {
    this.#db.prepare("DELETE FROM eval_queue").run();
    const insert = this.#db.prepare(
      "INSERT INTO eval_queue (hotkey, competition_id, role, why, since_block) VALUES (?, ?, ?, ?, ?)",
    );
    for (const q of entries) insert.run(q.hotkey, q.competitionId, q.role, formatReason(q.why), q.sinceBlock);
  }

  /** The block each hotkey was last looked at for a retry. */
  checkedBlocks(): Map<string, number> {
    const rows = this.#db.prepare("SELECT hotkey, checked_block FROM budget_notes WHERE checked_block IS NOT NULL")
      .all() as Row[];
    return new Map(rows.map((r) => [r.hotkey as string, Number(r.checked_block)]));
  }

  /** Records the turn's notes, and marks `checked` as looked at in `block`. */
  setNotes(notes: ReadonlyMap<string, string>, checked: readonly string[], block: number): void {
    const upsert = this.#db.prepare(
      `INSERT INTO budget_notes (hotkey, note) VALUES (?, ?)
       ON CONFLICT (hotkey) DO UPDATE SET note = excluded.note`,
    );
    for (const [hotkey, note] of notes) upsert.run(hotkey, formatReason(note));
    const mark = this.#db.prepare("UPDATE budget_notes SET checked_block = ? WHERE hotkey = ?");
    for (const hotkey of checked) mark.run(block, hotkey);
  }

  /** hotkey → why it is or is not in the next step. */
  notes(): Map<string, string> {
    const rows = this.#db.prepare("SELECT hotkey, note FROM budget_notes").all() as Row[];
    return new Map(rows.map((r) => [r.hotkey as string, r.note as string]));
  }
}

/** SQLite keeps no infinities through node:sqlite reliably: a failed score is stored as NULL. */
function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
