/**
 * The local chain's SQLite file: how it is opened so that several processes can share it, and the
 * one way it is written.
 */
import { DatabaseSync } from "node:sqlite";

/**
 * Opens the file in WAL mode, so readers never wait on the writer; a writer waits up to 10 s for
 * another process's transaction rather than failing at once. NORMAL sync is enough under WAL: a
 * killed process loses nothing it committed, and a power cut may undo the latest commits but
 * never corrupts the file.
 */
export function openChainDatabase(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;");
  return db;
}

/**
 * Runs `fn` in one IMMEDIATE transaction, rolled back on error. IMMEDIATE takes the write lock at
 * the start, which serialises writers across processes: two of them can never produce the same
 * block, and a refused call leaves nothing behind, as a failed extrinsic changes no storage.
 */
export function writeTransaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const out = fn();
    db.exec("COMMIT");
    return out;
  } catch (e) {
    db.exec("ROLLBACK");
    throw e;
  }
}
