/**
 * The validator's memory, in SQLite (WAL): models it tracks, every evaluation, each step with its
 * manifest, the per-competition moving-average weights, weights it set and what it has pending on
 * chain, the rotation's place, and the model downloads it owns. The database and its schema are
 * private to the `state*.ts` files; the leaderboard reads through `queries`. A step is written as
 * "running" before work starts; each model's result is written as it finishes, keyed by
 * (step, hotkey), so a restart resumes the step without evaluating a model twice; the moving
 * average moves only when the step is marked done, in the same transaction, so nothing counts twice.
 */
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { formatReason } from "../../eval/mod.ts";
import type { Metagraph } from "../chain/mod.ts";
import type { CompetitionWeights } from "../scoring/mod.ts";
import { BUDGET_SCHEMA, BudgetRecords } from "./state_budget.ts";
import { StateQueries } from "./state_queries.ts";
import { WindowRecords, WINDOWS_SCHEMA } from "./state_windows.ts";

import { type Row, toEval, toModel, toStep } from "./state_rows.ts";
import type {
  EvalOutcome,
  EvalRecord,
  OnChainNeuron,
  OwnedCacheEntry,
  StepBaseline,
  StepRecord,
  TrackedModel,
} from "./state_records.ts";
import type { WeightsPending } from "./weights_pending.ts";

// The records and query rows are part of the state's API, which validator/mod.ts exports through this file.
export * from "./state_records.ts";
export * from "./state_queries.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS models (
  hotkey TEXT PRIMARY KEY, uid INTEGER NOT NULL, competition_id INTEGER NOT NULL,
  repo TEXT NOT NULL, revision TEXT NOT NULL, secure_hash TEXT NOT NULL, commit_block INTEGER NOT NULL,
  status TEXT NOT NULL, reason TEXT, updated_block INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS steps (
  id INTEGER PRIMARY KEY AUTOINCREMENT, block INTEGER NOT NULL, competition_id INTEGER NOT NULL,
  seed TEXT NOT NULL, status TEXT NOT NULL, manifest TEXT, started_ms INTEGER NOT NULL, finished_ms INTEGER);
CREATE TABLE IF NOT EXISTS evals (
  step_id INTEGER NOT NULL, hotkey TEXT NOT NULL, uid INTEGER NOT NULL, competition_id INTEGER NOT NULL,
  repo TEXT NOT NULL, revision TEXT NOT NULL, commit_block INTEGER NOT NULL,
  loss REAL, task_losses TEXT NOT NULL, status TEXT NOT NULL, reason TEXT,
  load_ms REAL, compute_ms REAL, win_rate REAL, wins INTEGER, epsilon REAL, weight REAL,
  PRIMARY KEY (step_id, hotkey));
CREATE TABLE IF NOT EXISTS ema (id INTEGER PRIMARY KEY CHECK (id = 1), weights TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS weights_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT, block INTEGER NOT NULL, uids TEXT NOT NULL, weights TEXT NOT NULL, result TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS weights_pending (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS model_cache (
  repo TEXT NOT NULL, revision TEXT NOT NULL, blobs TEXT NOT NULL, used_ms INTEGER NOT NULL,
  PRIMARY KEY (repo, revision));
`;

/** Columns added after a table was first released, added to older databases on open. */
const MIGRATIONS: [table: string, column: string, definition: string][] = [
  ["steps", "reason", "TEXT"],
  ["evals", "excluded", "TEXT"],
  ["evals", "explanation", "TEXT"],
  ["models", "commitment", "TEXT"],
  ["steps", "baseline", "TEXT"],
  ["evals", "queued", "TEXT"],
  ["evals", "losses_sha256", "TEXT"],
  ["evals", "evaluated_on", "TEXT"],
  ["windows", "published_repo", "TEXT"],
  ["windows", "published_revision", "TEXT"],
];

/** The state database, opened (and on first open created or migrated) at `path`. */
export class ValidatorState {
  readonly #db: DatabaseSync;
  /** The leaderboard's reads (state_queries.ts). */
  readonly queries: StateQueries;
  /** The evaluation budget's queue, history and notes (state_budget.ts). */
  readonly budget: BudgetRecords;
  /** Pseudo-gradient competitions' standing and checkpoint chain (state_windows.ts). */
  readonly windows: WindowRecords;

  constructor(readonly path: string, options: { readOnly?: boolean } = {}) {
    if (!options.readOnly) Deno.mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path, { readOnly: options.readOnly ?? false });
    this.queries = new StateQueries(this.#db);
    this.budget = new BudgetRecords(this.#db);
    this.windows = new WindowRecords(this.#db);
    this.#db.exec("PRAGMA busy_timeout = 10000;");
    if (!options.readOnly) {
      this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
      this.#db.exec(SCHEMA + BUDGET_SCHEMA + WINDOWS_SCHEMA);
      for (const [table, column, definition] of MIGRATIONS) {
        const columns = this.#db.prepare(`PRAGMA table_info(${table})`).all() as Row[];
        if (!columns.some((c) => c.name === column)) {
          this.#db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
        }
      }
    }
  }

  /** Closes the database; the state is unusable after. */
  close(): void {
    this.#db.close();
  }

  /** Runs `fn` in one transaction. */
  transaction<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.#db.exec("COMMIT");
      return out;
    } catch (e) {
      this.#db.exec("ROLLBACK");
      throw e;
    }
  }

  /** Every tracked model, by uid. */
  models(): TrackedModel[] {
    return (this.#db.prepare("SELECT * FROM models ORDER BY uid").all() as Row[]).map(toModel);
  }

  /** The model a hotkey committed, if it is tracked. */
  model(hotkey: string): TrackedModel | undefined {
    const r = this.#db.prepare("SELECT * FROM models WHERE hotkey = ?").get(hotkey) as Row | undefined;
    return r ? toModel(r) : undefined;
  }

  /** Tracks a hotkey's model, replacing what was known of it. */
  upsertModel(m: TrackedModel): void {
    this.#db.prepare(
      `INSERT INTO models (hotkey, uid, competition_id, repo, revision, secure_hash, commit_block, status, reason, updated_block, commitment)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (hotkey) DO UPDATE SET uid = excluded.uid, competition_id = excluded.competition_id, repo = excluded.repo,
         revision = excluded.revision, secure_hash = excluded.secure_hash, commit_block = excluded.commit_block,
         status = excluded.status, reason = excluded.reason, updated_block = excluded.updated_block, commitment = excluded.commitment`,
    ).run(
      m.hotkey,
      m.uid,
      m.competitionId,
      m.repo,
      m.revision,
      m.secureHash,
      m.commitBlock,
      m.status,
      reasonOrNull(m.reason),
      m.updatedBlock,
      m.commitment === undefined || m.commitment === null ? null : formatReason(m.commitment, 400),
    );
  }

  /** Forgets a hotkey's model (its evaluations stay). */
  deleteModel(hotkey: string): void {
    this.#db.prepare("DELETE FROM models WHERE hotkey = ?").run(hotkey);
  }

  /** The unfinished step, if a previous run was interrupted. */
  runningStep(): StepRecord | undefined {
    const r = this.#db.prepare("SELECT * FROM steps WHERE status = 'running' ORDER BY id DESC LIMIT 1").get() as
      | Row
      | undefined;
    return r ? toStep(r) : undefined;
  }

  /** Records a new step as running, with what a resume needs to see the same pages; returns its id. */
  startStep(
    block: number,
    competitionId: number,
    seed: string,
    manifest: unknown,
    nowMs: number,
    baseline: StepBaseline | null = null,
  ): number {
    const r = this.#db.prepare(
      "INSERT INTO steps (block, competition_id, seed, status, manifest, started_ms, baseline) VALUES (?, ?, ?, 'running', ?, ?, ?)",
    )
      .run(block, competitionId, seed, JSON.stringify(manifest), nowMs, baseline ? JSON.stringify(baseline) : null);
    return Number(r.lastInsertRowid);
  }

  /**
   * Records a step that could not run (its data or its base failed for good), or marks the running step
   * `stepId` so; the rotation then moves on.
   */
  failStep(
    o: { stepId?: number; block: number; competitionId: number; seed: string; reason: string; nowMs: number },
  ): number {
    if (o.stepId !== undefined) {
      this.#db.prepare("UPDATE steps SET status = 'failed', reason = ?, finished_ms = ? WHERE id = ?").run(
        formatReason(o.reason),
        o.nowMs,
        o.stepId,
      );
      return o.stepId;
    }
    const r = this.#db.prepare(
      "INSERT INTO steps (block, competition_id, seed, status, started_ms, finished_ms, reason) VALUES (?, ?, ?, 'failed', ?, ?, ?)",
    ).run(o.block, o.competitionId, o.seed, o.nowMs, o.nowMs, formatReason(o.reason));
    return Number(r.lastInsertRowid);
  }

  /** The newest `limit` steps, newest first. */
  steps(limit = 100): StepRecord[] {
    return (this.#db.prepare("SELECT * FROM steps ORDER BY id DESC LIMIT ?").all(limit) as Row[]).map(toStep);
  }

  /** Records one model's result in a step (once: a second write for the same step and hotkey is ignored). */
  recordEval(e: EvalRecord): void {
    this.#db.prepare(
      `INSERT OR IGNORE INTO evals (step_id, hotkey, uid, competition_id, repo, revision, commit_block, loss, task_losses, status, reason, load_ms, compute_ms, queued, losses_sha256, evaluated_on)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      e.stepId,
      e.hotkey,
      e.uid,
      e.competitionId,
      e.repo,
      e.revision,
      e.commitBlock,
      e.loss,
      JSON.stringify(e.taskLosses),
      e.status,
      reasonOrNull(e.reason),
      e.loadMs,
      e.computeMs,
      reasonOrNull(e.queued ?? null),
      e.lossesSha256 ?? null,
      reasonOrNull(e.evaluatedOn ?? null),
    );
  }

  /** A step's results so far, by uid. */
  evals(stepId: number): EvalRecord[] {
    return (this.#db.prepare("SELECT * FROM evals WHERE step_id = ? ORDER BY uid").all(stepId) as Row[]).map(toEval);
  }

  /** Every evaluation of a hotkey, oldest first. */
  history(hotkey: string): EvalRecord[] {
    return (this.#db.prepare("SELECT * FROM evals WHERE hotkey = ? ORDER BY step_id").all(hotkey) as Row[]).map(toEval);
  }

  /**
   * Completes a step: scoring columns, the new moving average, status done, and what `also`
   * writes (the budget's history and kept models) — atomically.
   */
  finishStep(
    stepId: number,
    outcomes: EvalOutcome[],
    ema: CompetitionWeights,
    nowMs: number,
    also: () => void = () => {},
  ): void {
    this.transaction(() => {
      also();
      const update = this.#db.prepare(
        "UPDATE evals SET win_rate = ?, wins = ?, epsilon = ?, weight = ?, excluded = ?, explanation = ? WHERE step_id = ? AND hotkey = ?",
      );
      for (const o of outcomes) {
        update.run(
          o.winRate,
          o.wins,
          o.epsilon,
          o.weight,
          o.excluded,
          formatReason(o.explanation, 600),
          stepId,
          o.hotkey,
        );
      }
      this.#db.prepare("INSERT OR REPLACE INTO ema (id, weights) VALUES (1, ?)").run(JSON.stringify(ema));
      this.#db.prepare("UPDATE steps SET status = 'done', finished_ms = ? WHERE id = ?").run(nowMs, stepId);
    });
  }

  /** The per-competition moving-average weights. */
  ema(): CompetitionWeights {
    const r = this.#db.prepare("SELECT weights FROM ema WHERE id = 1").get() as Row | undefined;
    return r ? JSON.parse(r.weights as string) : {};
  }

  /** Replaces the moving average between steps (a step's own update goes through `finishStep`). */
  setEma(ema: CompetitionWeights): void {
    this.#db.prepare("INSERT OR REPLACE INTO ema (id, weights) VALUES (1, ?)").run(JSON.stringify(ema));
  }

  /** Appends to the history of weights sent (set, committed, revealed, expired or failed). */
  recordWeightsSet(block: number, uids: number[], weights: number[], result: string): void {
    this.#db.prepare("INSERT INTO weights_history (block, uids, weights, result) VALUES (?, ?, ?, ?)").run(
      block,
      JSON.stringify(uids),
      JSON.stringify(weights),
      result,
    );
  }

  /** The newest entries of the weights history, newest first. */
  weightsHistory(limit = 20): { block: number; uids: number[]; weights: number[]; result: string }[] {
    return (this.#db.prepare("SELECT * FROM weights_history ORDER BY id DESC LIMIT ?").all(limit) as Row[]).map((
      r,
    ) => ({
      block: Number(r.block),
      uids: JSON.parse(r.uids as string),
      weights: JSON.parse(r.weights as string),
      result: r.result as string,
    }));
  }

  /** The newest entry of the weights history. */
  lastWeightsSet(): { block: number; uids: number[]; weights: number[]; result: string } | undefined {
    return this.weightsHistory(1)[0];
  }

  /** Records (or refreshes) a snapshot this validator downloaded itself. */
  recordOwnedCache(e: OwnedCacheEntry): void {
    this.#db.prepare(
      `INSERT INTO model_cache (repo, revision, blobs, used_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (repo, revision) DO UPDATE SET used_ms = excluded.used_ms`,
    ).run(e.repo, e.commit, JSON.stringify(e.blobs), e.usedMs);
  }

  /** Marks an owned snapshot as used now (no-op for snapshots other tools made). */
  touchOwnedCache(repo: string, commit: string, usedMs: number): void {
    this.#db.prepare("UPDATE model_cache SET used_ms = ? WHERE repo = ? AND revision = ?").run(usedMs, repo, commit);
  }

  /** The snapshots this validator downloaded, least recently used first. */
  ownedCache(): OwnedCacheEntry[] {
    return (this.#db.prepare("SELECT * FROM model_cache ORDER BY used_ms").all() as Row[]).map((r) => ({
      repo: r.repo as string,
      commit: r.revision as string,
      blobs: JSON.parse(r.blobs as string),
      usedMs: Number(r.used_ms),
    }));
  }

  /** Forgets an owned snapshot once it is evicted from the cache. */
  forgetOwnedCache(repo: string, commit: string): void {
    this.#db.prepare("DELETE FROM model_cache WHERE repo = ? AND revision = ?").run(repo, commit);
  }

  /** What the weights sender has pending on chain (see weights_sender.ts). */
  weightsPending(): WeightsPending {
    const r = this.#db.prepare("SELECT state FROM weights_pending WHERE id = 1").get() as Row | undefined;
    return r ? JSON.parse(r.state as string) : { kind: "none" };
  }

  /** Replaces what the weights sender has pending. */
  setWeightsPending(pending: WeightsPending): void {
    this.#db.prepare("INSERT OR REPLACE INTO weights_pending (id, state) VALUES (1, ?)").run(JSON.stringify(pending));
  }

  /** The rotation's position: the next turn goes to this index, modulo the competitions in force. */
  nextCompetitionIndex(): number {
    return Number(this.#meta("next_competition") ?? "0");
  }

  /** Moves the rotation, once a turn has started a step, had nothing to evaluate, or was given up. */
  setNextCompetitionIndex(index: number): void {
    this.#setMeta("next_competition", String(index));
  }

  /** How many tries at a competition's turn in a row failed to prepare its data or its base. */
  failedTurns(competitionId: number): number {
    // The key predates base failures counting too; renaming it would lose an old state's count.
    return Number(this.#meta(`data_failures_${competitionId}`) ?? "0");
  }

  /** Sets the count of failed tries at a competition's turn (0 once a step starts or is given up). */
  setFailedTurns(competitionId: number, failures: number): void {
    this.#setMeta(`data_failures_${competitionId}`, String(failures));
  }

  /** The block of the last scan for miners other validators weight (see budget/top_miners.ts). */
  lastTopMinerScan(): number | undefined {
    const v = this.#meta("last_top_miner_scan");
    return v === undefined ? undefined : Number(v);
  }

  /** Records a top-miner scan. */
  setLastTopMinerScan(block: number): void {
    this.#setMeta("last_top_miner_scan", String(block));
  }

  /** Keeps what the chain's last epoch paid each neuron, from the latest metagraph this validator read. */
  recordOnChain(metagraph: Metagraph): void {
    const neurons: OnChainNeuron[] = metagraph.neurons.map((n) => ({
      uid: n.uid,
      hotkey: n.hotkey,
      incentive: n.incentive,
      emission: n.emission.toString(),
    }));
    this.#setMeta("on_chain", JSON.stringify({ block: metagraph.block, neurons }));
  }

  /** The latest metagraph's incentive and emission per neuron (emission in rao, as a decimal string). */
  onChain(): { block: number; neurons: OnChainNeuron[] } | undefined {
    const v = this.#meta("on_chain");
    return v === undefined ? undefined : JSON.parse(v);
  }

  // Free-form keys stay behind the named accessors above, so every key is spelled in one place.
  #meta(key: string): string | undefined {
    return (this.#db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as Row | undefined)?.value as
      | string
      | undefined;
  }

  #setMeta(key: string, value: string): void {
    this.#db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, value);
  }
}

/** Every stored reason goes through the one formatter: one bounded line, controls escaped. */
function reasonOrNull(reason: string | null): string | null {
  return reason === null ? null : formatReason(reason);
}
