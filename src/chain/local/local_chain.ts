// The Chain methods are async without awaiting anything: SQLite is synchronous, and async turns
// every refusal into a rejected promise, as callers of a remote chain expect.
// deno-lint-ignore-file require-await
/**
 * The embedded local chain: subtensor's rules for what the product uses, on one SQLite file
 * (WAL mode) that several processes may share. Blocks follow a clock (12 s, faster, or manual)
 * and are produced lazily, in a write transaction, by whichever process next touches the chain;
 * each new block gets a hash chained from the previous one, and every `tempo` blocks
 * (subtensor's (block + netuid + 1) mod (tempo + 1) = 0) the subnet's epoch runs Yuma
 * Consensus and pays emission into stake. A crash mid-write rolls back to the last commit.
 */
import { createHash } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import type { KeyringPair } from "@polkadot/keyring/types";
import { u8aToHex } from "@polkadot/util";
import {
  type Chain,
  ChainRejected,
  type Commitment,
  epochIndex,
  isEpochBlock,
  type Metagraph,
  type Neuron,
  type SubnetHyperparameters,
} from "../chain.ts";
import { commitHash } from "../commit_reveal.ts";
import type { SparseU16, YumaOutput } from "../yuma/mod.ts";
import { readSparse, runEpoch } from "./epoch_runner.ts";
import { applyWeights, uidOf } from "./set_weights_rules.ts";
import { DEFAULT_SUBNET_PARAMS, type LocalSubnetParams } from "./params.ts";
import { SCHEMA } from "./schema.ts";

/** How blocks advance. */
export type BlockClock = { kind: "timed"; blockMs: number } | { kind: "manual" };

/** Options for opening a local chain. */
export interface LocalChainOptions {
  /** Used when the file is new (an existing chain keeps its own clock). */
  clock?: BlockClock;
  /** Injectable time source (ms). */
  now?: () => number;
  /** Genesis block hash for a new file (default: random). A fixed one makes runs reproducible. */
  genesisHash?: string;
}

/** Bytes a commitment may hold (one RawN field, N ≤ 128). */
export const MAX_COMMITMENT_BYTES = 128;

type Row = Record<string, unknown>;

/** The local chain. Admin operations (subnets, registration, stake, advancing) are methods too. */
export class LocalChain implements Chain {
  readonly name: string;
  #db: DatabaseSync;
  #now: () => number;

  private constructor(readonly path: string, db: DatabaseSync, now: () => number) {
    this.name = `local:${path}`;
    this.#db = db;
    this.#now = now;
  }

  /** Opens (creating if needed) the chain in `path`. */
  static open(path: string, options: LocalChainOptions = {}): LocalChain {
    const db = new DatabaseSync(path);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;");
    const chain = new LocalChain(path, db, options.now ?? Date.now);
    chain.#write(() => {
      db.exec(SCHEMA);
      if (!chain.#meta("clock")) {
        chain.#setMeta("clock", JSON.stringify(options.clock ?? { kind: "timed", blockMs: 12_000 }));
        chain.#setMeta("genesis_ms", String(chain.#now()));
        chain.#setMeta("manual_block", "0");
        const genesis = options.genesisHash ??
          u8aToHex(crypto.getRandomValues(new Uint8Array(32)));
        if (!/^0x[0-9a-f]{64}$/.test(genesis)) {
          throw new TypeError("genesisHash must be 0x and 64 lowercase hex digits");
        }
        db.prepare("INSERT INTO blocks (number, hash) VALUES (0, ?)").run(genesis);
      }
    });
    return chain;
  }

  // ---- Chain interface -------------------------------------------------------------------

  async currentBlock(): Promise<number> {
    return this.#catchUp();
  }

  async blockHash(block: number): Promise<string> {
    const current = this.#catchUp();
    if (!Number.isInteger(block) || block < 0 || block > current) {
      throw new RangeError(`block ${block} is not in 0..${current}`);
    }
    const row = this.#db.prepare("SELECT hash FROM blocks WHERE number = ?").get(block) as Row;
    return row.hash as string;
  }

  async metagraph(netuid: number): Promise<Metagraph> {
    const block = this.#catchUp();
    this.#params(netuid);
    const rows = this.#db.prepare(
      "SELECT n.*, COALESCE(s.amount, 0) AS stake FROM neurons n LEFT JOIN stake s ON s.hotkey = n.hotkey WHERE netuid = ? ORDER BY uid",
    ).all(netuid) as Row[];
    return { netuid, block, neurons: rows.map(toNeuron) };
  }

  async hyperparameters(netuid: number): Promise<SubnetHyperparameters> {
    this.#catchUp();
    const p = this.#params(netuid);
    return {
      tempo: p.tempo,
      weightsRateLimit: p.weightsRateLimit,
      weightsVersionKey: p.weightsVersionKey,
      commitRevealEnabled: p.commitRevealEnabled,
      revealPeriodEpochs: p.revealPeriodEpochs,
      activityCutoff: p.activityCutoff,
      maxAllowedValidators: p.maxAllowedValidators,
    };
  }

  async commitments(netuid: number): Promise<Commitment[]> {
    this.#catchUp();
    const rows = this.#db.prepare("SELECT hotkey, block, data FROM commitments WHERE netuid = ? ORDER BY hotkey").all(
      netuid,
    ) as Row[];
    return rows.map((r) => ({ hotkey: r.hotkey as string, block: Number(r.block), data: r.data as string }));
  }

  async commitment(netuid: number, hotkey: string): Promise<Commitment | null> {
    return (await this.commitments(netuid)).find((c) => c.hotkey === hotkey) ?? null;
  }

  async setCommitment(netuid: number, hotkey: KeyringPair, data: string): Promise<void> {
    this.#write(() => {
      const block = this.#catchUpInTransaction();
      this.#params(netuid);
      if (uidOf(this.#db, netuid, hotkey.address) === undefined) {
        throw new ChainRejected("AccountNotAllowedCommit", `${hotkey.address} is not registered on subnet ${netuid}`);
      }
      const bytes = new TextEncoder().encode(data).length;
      if (bytes > MAX_COMMITMENT_BYTES) {
        throw new ChainRejected("SpaceLimitExceeded", `commitment of ${bytes} bytes exceeds ${MAX_COMMITMENT_BYTES}`);
      }
      this.#db.prepare("INSERT OR REPLACE INTO commitments (netuid, hotkey, block, data) VALUES (?, ?, ?, ?)").run(
        netuid,
        hotkey.address,
        block,
        data,
      );
    });
  }

  async setWeights(
    netuid: number,
    hotkey: KeyringPair,
    uids: number[],
    weights: number[],
    versionKey: number,
  ): Promise<void> {
    this.#write(() => {
      const block = this.#catchUpInTransaction();
      const p = this.#params(netuid);
      if (p.commitRevealEnabled) {
        throw new ChainRejected("CommitRevealEnabled", `subnet ${netuid} takes weights by commit-reveal`);
      }
      applyWeights(this.#db, netuid, p, hotkey.address, uids, weights, versionKey, block, true);
    });
  }

  async commitWeights(netuid: number, hotkey: KeyringPair, hash: Uint8Array): Promise<void> {
    this.#write(() => {
      const block = this.#catchUpInTransaction();
      const p = this.#params(netuid);
      if (!p.commitRevealEnabled) {
        throw new ChainRejected("CommitRevealDisabled", `subnet ${netuid} does not use commit-reveal`);
      }
      if (uidOf(this.#db, netuid, hotkey.address) === undefined) {
        throw new ChainRejected("HotKeyNotRegisteredInSubNet", `${hotkey.address} on subnet ${netuid}`);
      }
      const commits = this.#db.prepare(
        "SELECT block FROM weight_commits WHERE netuid = ? AND hotkey = ? ORDER BY block",
      ).all(netuid, hotkey.address) as Row[];
      if (commits.length >= p.maxUnrevealedCommits) {
        throw new ChainRejected("TooManyUnrevealedCommits", `${commits.length} commits await reveal`);
      }
      const last = commits.at(-1);
      if (last && block - Number(last.block) < p.weightsRateLimit) {
        throw new ChainRejected(
          "CommittingWeightsTooFast",
          `last commit at block ${last.block}, rate limit ${p.weightsRateLimit} blocks`,
        );
      }
      this.#db.prepare("INSERT INTO weight_commits (netuid, hotkey, hash, block) VALUES (?, ?, ?, ?)").run(
        netuid,
        hotkey.address,
        u8aToHex(hash),
        block,
      );
    });
  }

  async revealWeights(
    netuid: number,
    hotkey: KeyringPair,
    uids: number[],
    weights: number[],
    salt: number[],
    versionKey: number,
  ): Promise<void> {
    this.#write(() => {
      const block = this.#catchUpInTransaction();
      const p = this.#params(netuid);
      if (!p.commitRevealEnabled) {
        throw new ChainRejected("CommitRevealDisabled", `subnet ${netuid} does not use commit-reveal`);
      }
      const commits = this.#db.prepare("SELECT rowid, hash, block FROM weight_commits WHERE netuid = ? AND hotkey = ?")
        .all(netuid, hotkey.address) as Row[];
      if (commits.length === 0) {
        throw new ChainRejected("NoWeightsCommitFound", `${hotkey.address} has no commit on subnet ${netuid}`);
      }
      const hash = u8aToHex(commitHash(hotkey.address, netuid, uids, weights, salt, versionKey));
      const commit = commits.find((c) => c.hash === hash);
      if (!commit) {
        throw new ChainRejected(
          "InvalidRevealCommitHashNotMatch",
          "no commit matches these weights, salt and version key",
        );
      }
      const revealEpoch = epochIndex(Number(commit.block), netuid, p.tempo) + p.revealPeriodEpochs;
      const now = epochIndex(block, netuid, p.tempo);
      if (now < revealEpoch) throw new ChainRejected("RevealTooEarly", `reveal in epoch ${revealEpoch}, now ${now}`);
      this.#db.prepare("DELETE FROM weight_commits WHERE rowid = ?").run(commit.rowid as number);
      if (now > revealEpoch) {
        throw new ChainRejected("ExpiredWeightCommit", `the reveal window was epoch ${revealEpoch}, now ${now}`);
      }
      applyWeights(this.#db, netuid, p, hotkey.address, uids, weights, versionKey, block, false);
    });
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  // ---- Admin operations ------------------------------------------------------------------

  /** Creates a subnet (or updates its parameters). */
  createSubnet(netuid: number, params: Partial<LocalSubnetParams> = {}): void {
    this.#write(() => {
      this.#catchUpInTransaction();
      const existing = this.#db.prepare("SELECT params FROM subnets WHERE netuid = ?").get(netuid) as Row | undefined;
      const merged = {
        ...DEFAULT_SUBNET_PARAMS,
        ...(existing ? JSON.parse(existing.params as string) : {}),
        ...params,
      };
      this.#db.prepare("INSERT OR REPLACE INTO subnets (netuid, params) VALUES (?, ?)").run(
        netuid,
        JSON.stringify(merged),
      );
    });
  }

  /** Registers a hotkey (replacing the lowest-emission neuron when full); returns its uid. */
  register(netuid: number, hotkey: string, coldkey: string): number {
    return this.#write(() => {
      const block = this.#catchUpInTransaction();
      const p = this.#params(netuid);
      if (uidOf(this.#db, netuid, hotkey) !== undefined) {
        throw new ChainRejected("HotKeyAlreadyRegisteredInSubNet", `${hotkey} on subnet ${netuid}`);
      }
      const count = Number(
        (this.#db.prepare("SELECT COUNT(*) AS n FROM neurons WHERE netuid = ?").get(netuid) as Row).n,
      );
      let uid = count;
      if (count >= p.maxAllowedUids) {
        uid = Number(
          (this.#db.prepare(
            "SELECT uid FROM neurons WHERE netuid = ? ORDER BY emission, block_at_registration, uid LIMIT 1",
          ).get(netuid) as Row).uid,
        );
        for (const t of ["neurons", "weights", "bonds"]) {
          this.#db.prepare(`DELETE FROM ${t} WHERE netuid = ? AND uid = ?`).run(netuid, uid);
        }
      }
      this.#db.prepare(
        "INSERT INTO neurons (netuid, uid, hotkey, coldkey, block_at_registration, last_update) VALUES (?, ?, ?, ?, ?, ?)",
      )
        .run(netuid, uid, hotkey, coldkey, block, block);
      return uid;
    });
  }

  /** Adds stake (rao) to a hotkey. */
  addStake(hotkey: string, rao: number): void {
    this.#write(() => {
      this.#catchUpInTransaction();
      this.#db.prepare(
        "INSERT INTO stake (hotkey, amount) VALUES (?, ?) ON CONFLICT (hotkey) DO UPDATE SET amount = amount + excluded.amount",
      ).run(hotkey, rao);
    });
  }

  /** Manual clock: produces `n` blocks now (epochs included). Timed clock: refused. */
  advance(n = 1): number {
    return this.#write(() => {
      const clock = JSON.parse(this.#meta("clock")!) as BlockClock;
      if (clock.kind !== "manual") throw new TypeError("advance() needs a manual clock");
      this.#setMeta("manual_block", String(Number(this.#meta("manual_block")) + n));
      return this.#catchUpInTransaction();
    });
  }

  /** Epoch results recorded for a subnet, oldest first. */
  epochs(netuid: number): { block: number; result: YumaOutput }[] {
    const rows = this.#db.prepare("SELECT block, result FROM epochs WHERE netuid = ? ORDER BY block").all(
      netuid,
    ) as Row[];
    return rows.map((r) => ({ block: Number(r.block), result: JSON.parse(r.result as string) }));
  }

  /** Raw weights rows of a subnet (uid → [[uid, u16], …]). */
  weights(netuid: number): SparseU16 {
    return readSparse(this.#db, "weights", netuid);
  }

  // ---- Internals -------------------------------------------------------------------------

  /** The block the clock says it is; produces any missing blocks (and epochs) first. */
  #catchUp(): number {
    const last = this.#lastBlock();
    if (this.#targetBlock() <= last) return last;
    return this.#write(() => this.#catchUpInTransaction());
  }

  #catchUpInTransaction(): number {
    let last = this.#lastBlock();
    const target = this.#targetBlock();
    const insert = this.#db.prepare("INSERT INTO blocks (number, hash) VALUES (?, ?)");
    let hash = (this.#db.prepare("SELECT hash FROM blocks WHERE number = ?").get(last) as Row).hash as string;
    while (last < target) {
      last++;
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(last));
      hash = "0x" + createHash("sha256").update(hash).update(bytes).digest("hex");
      insert.run(last, hash);
      for (const s of this.#db.prepare("SELECT netuid, params FROM subnets").all() as Row[]) {
        const params = JSON.parse(s.params as string) as LocalSubnetParams;
        if (isEpochBlock(last, Number(s.netuid), params.tempo)) runEpoch(this.#db, Number(s.netuid), params, last);
      }
    }
    return last;
  }

  #targetBlock(): number {
    const clock = JSON.parse(this.#meta("clock")!) as BlockClock;
    if (clock.kind === "manual") return Number(this.#meta("manual_block"));
    return Math.max(0, Math.floor((this.#now() - Number(this.#meta("genesis_ms"))) / clock.blockMs));
  }

  #lastBlock(): number {
    return Number((this.#db.prepare("SELECT MAX(number) AS n FROM blocks").get() as Row).n);
  }

  #params(netuid: number): LocalSubnetParams {
    const row = this.#db.prepare("SELECT params FROM subnets WHERE netuid = ?").get(netuid) as Row | undefined;
    if (!row) throw new ChainRejected("SubNetworkDoesNotExist", `subnet ${netuid} does not exist`);
    return JSON.parse(row.params as string);
  }

  #meta(key: string): string | undefined {
    return (this.#db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as Row | undefined)?.value as
      | string
      | undefined;
  }

  #setMeta(key: string, value: string): void {
    this.#db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, value);
  }

  /** Runs `fn` in one IMMEDIATE transaction (serialised across processes), rolled back on error. */
  #write<T>(fn: () => T): T {
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
}

function toNeuron(r: Row): Neuron {
  return {
    uid: Number(r.uid),
    hotkey: r.hotkey as string,
    coldkey: r.coldkey as string,
    stake: Number(r.stake),
    validatorPermit: Boolean(r.validator_permit),
    lastUpdate: Number(r.last_update),
    blockAtRegistration: Number(r.block_at_registration),
    consensus: Number(r.consensus),
    incentive: Number(r.incentive),
    dividends: Number(r.dividends),
    trust: Number(r.trust),
    validatorTrust: Number(r.validator_trust),
    emission: Number(r.emission),
  };
}
