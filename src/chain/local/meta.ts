/**
 * The local chain's `meta` table: the few settings that are not rows of their own, each stored as
 * text under a fixed key. Those keys and encodings are part of the file format (a chain file
 * written earlier must open with the same clock, genesis time and limits), so they are spelled out
 * here once and every other file goes through these accessors.
 */
import type { DatabaseSync } from "node:sqlite";
import type { BlockClock } from "./clock_kind.ts";

type Row = Record<string, unknown>;

/** The keys of the `meta` table, with how each value is encoded. */
const KEYS = {
  /** The block clock, as JSON. */
  clock: "clock",
  /** Wall-clock time of block 0 (ms since the Unix epoch), in decimal. */
  genesisMs: "genesis_ms",
  /** The manual clock's head block, in decimal. */
  manualBlock: "manual_block",
  /** The commitments pallet's rate limit (blocks), in decimal; absent until set. */
  commitmentRateLimit: "commitment_rate_limit",
} as const;

/**
 * Named reads and writes of the `meta` table. Writes belong inside the caller's write transaction;
 * nothing is cached, because other processes may change the file between two calls.
 */
export class ChainMeta {
  #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Whether genesis has been written (the clock is its first record). */
  get hasGenesis(): boolean {
    return this.#get(KEYS.clock) !== undefined;
  }

  /** How blocks advance; fixed at genesis. */
  get clock(): BlockClock {
    const value = this.#get(KEYS.clock);
    if (value === undefined) throw new Error("the chain file has no clock (genesis was never written)");
    return JSON.parse(value) as BlockClock;
  }

  set clock(clock: BlockClock) {
    this.#set(KEYS.clock, JSON.stringify(clock));
  }

  /** Wall-clock time of block 0, in ms (a timed clock counts blocks from it). */
  get genesisMs(): number {
    return Number(this.#get(KEYS.genesisMs));
  }

  set genesisMs(ms: number) {
    this.#set(KEYS.genesisMs, String(ms));
  }

  /** The block a manual clock has been advanced to. */
  get manualBlock(): number {
    return Number(this.#get(KEYS.manualBlock));
  }

  set manualBlock(block: number) {
    this.#set(KEYS.manualBlock, String(block));
  }

  /** The commitments pallet's rate limit in blocks, or undefined where it was never set. */
  get commitmentRateLimit(): number | undefined {
    const value = this.#get(KEYS.commitmentRateLimit);
    return value === undefined ? undefined : Number(value);
  }

  set commitmentRateLimit(blocks: number) {
    this.#set(KEYS.commitmentRateLimit, String(blocks));
  }

  #get(key: string): string | undefined {
    const row = this.#db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as Row | undefined;
    return row?.value as string | undefined;
  }

  #set(key: string, value: string): void {
    this.#db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, value);
  }
}
