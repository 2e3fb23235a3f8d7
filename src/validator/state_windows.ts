/**
 * What a pseudo-gradient competition remembers between windows: each peer's standing (its
 * rating, moving binary score and final), and each evaluated window's global checkpoint and the
 * next one it made. Written in the window's own transaction with its step (windows/window_turn.ts),
 * so a kill leaves the standing and the checkpoint chain as the last finished window left them.
 */
import type { DatabaseSync } from "node:sqlite";
import type { PeerStanding } from "../pseudograd/mod.ts";
import type { Row } from "./state_rows.ts";

/** The windows' tables (created with the rest of the state's schema). */
export const WINDOWS_SCHEMA = `
CREATE TABLE IF NOT EXISTS window_standing (
  competition_id INTEGER NOT NULL, uid INTEGER NOT NULL, standing TEXT NOT NULL, PRIMARY KEY (competition_id, uid));
CREATE TABLE IF NOT EXISTS windows (
  competition_id INTEGER NOT NULL, window INTEGER NOT NULL, step_id INTEGER NOT NULL,
  global_hash TEXT NOT NULL, next_dir TEXT, next_hash TEXT, held_out_before REAL, held_out_after REAL,
  published_repo TEXT, published_revision TEXT,
  PRIMARY KEY (competition_id, window));
`;

/** One evaluated window: the checkpoint it was judged on, and the next one its gather set made. */
export interface WindowRecord {
  competitionId: number;
  window: number;
  stepId: number;
  globalHash: string;
  /** Null when no submission was gathered: the global model stays as it was. */
  nextDir: string | null;
  nextHash: string | null;
  heldOutBefore: number | null;
  heldOutAfter: number | null;
  /** Where the next checkpoint was published for miners and workers (window_publish.ts), once it is. */
  published?: { repo: string; revision: string } | null;
}

/** The windows' records in the state database. */
export class WindowRecords {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Every peer's standing in a competition. */
  standing(competitionId: number): Map<number, PeerStanding> {
    const rows = this.#db.prepare("SELECT uid, standing FROM window_standing WHERE competition_id = ?").all(
      competitionId,
    ) as Row[];
    return new Map(rows.map((r) => [Number(r.uid), JSON.parse(r.standing as string) as PeerStanding]));
  }

  /** The competition's windows, oldest first (none in a state written before windows existed). */
  windows(competitionId: number): WindowRecord[] {
    return this.#select(competitionId, "ORDER BY window");
  }

  /** The latest evaluated window, if any. */
  latest(competitionId: number): WindowRecord | undefined {
    return this.#select(competitionId, "ORDER BY window DESC LIMIT 1")[0];
  }

  /** The latest window that made a next checkpoint: the global model of the windows after it. */
  latestCheckpoint(competitionId: number): WindowRecord | undefined {
    return this.#select(competitionId, "AND next_dir IS NOT NULL ORDER BY window DESC LIMIT 1")[0];
  }

  /** The competition's windows that `rest` (the query's tail) picks. */
  #select(competitionId: number, rest: string): WindowRecord[] {
    const table = this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'windows'").get();
    if (!table) return [];
    return (this.#db.prepare(`SELECT * FROM windows WHERE competition_id = ? ${rest}`).all(competitionId) as Row[])
      .map((r) => ({
        competitionId: Number(r.competition_id),
        window: Number(r.window),
        stepId: Number(r.step_id),
        globalHash: r.global_hash as string,
        nextDir: (r.next_dir as string | null) ?? null,
        nextHash: (r.next_hash as string | null) ?? null,
        heldOutBefore: r.held_out_before === null ? null : Number(r.held_out_before),
        heldOutAfter: r.held_out_after === null ? null : Number(r.held_out_after),
        published: r.published_revision
          ? { repo: r.published_repo as string, revision: r.published_revision as string }
          : null,
      }));
  }

  /** Records where a window's next checkpoint was published. */
  setPublished(competitionId: number, window: number, published: { repo: string; revision: string }): void {
    this.#db.prepare(
      "UPDATE windows SET published_repo = ?, published_revision = ? WHERE competition_id = ? AND window = ?",
    ).run(published.repo, published.revision, competitionId, window);
  }

  /** Records a window and replaces the competition's standing (inside the caller's transaction). */
  record(w: WindowRecord, standing: ReadonlyMap<number, PeerStanding>): void {
    this.#db.prepare(
      `INSERT OR REPLACE INTO windows (competition_id, window, step_id, global_hash, next_dir, next_hash, held_out_before, held_out_after)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(w.competitionId, w.window, w.stepId, w.globalHash, w.nextDir, w.nextHash, w.heldOutBefore, w.heldOutAfter);
    this.#db.prepare("DELETE FROM window_standing WHERE competition_id = ?").run(w.competitionId);
    const put = this.#db.prepare("INSERT INTO window_standing (competition_id, uid, standing) VALUES (?, ?, ?)");
    for (const [uid, s] of standing) put.run(w.competitionId, uid, JSON.stringify(s));
  }
}
