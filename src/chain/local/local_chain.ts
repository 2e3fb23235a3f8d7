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
  type Inclusion,
  isEpochBlock,
  type Metagraph,
  type Neuron,
  revealEpochOf,
  type SubnetHyperparameters,
  type TimelockBeacon,
  type WeightCommit,
} from "../chain.ts";
import { beaconSignature, type LocalBeacon, localBeacon } from "../timelock/mod.ts";
import { commitHash } from "../commit_reveal.ts";
import { commitmentInfo } from "../subtensor/codec.ts";
import type { SparseU16, YumaOutput } from "../yuma/mod.ts";
import { readSparse, runEpoch } from "./epoch_runner.ts";
import { applyWeights, checkCommitRateLimit, uidOf } from "./set_weights_rules.ts";
import { revealTimelockedCommits, storeTimelockedCommit } from "./timelocked_commits.ts";
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

/** Blocks between two commitments of a hotkey (subtensor runtime's CommitmentRateLimit). */
export const DEFAULT_COMMITMENT_RATE_LIMIT = 100;

/** Seconds between two rounds of the local beacon (drand quicknet's period). */
const BEACON_PERIOD_SECONDS = 3;

type Row = Record<string, unknown>;

/** The local chain. Admin operations (subnets, registration, stake, advancing) are methods too. */
export class LocalChain implements Chain {
  readonly name: string;
  #db: DatabaseSync;
  #now: () => number;
  #localBeacon?: LocalBeacon;

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
    const query = this.#db.prepare(
      "SELECT n.*, COALESCE(s.amount, 0) AS stake FROM neurons n LEFT JOIN stake s ON s.hotkey = n.hotkey WHERE netuid = ? ORDER BY uid",
    );
    query.setReadBigInts(true); // rao amounts pass 2^53
    return { netuid, block, neurons: (query.all(netuid) as Row[]).map(toNeuron) };
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
      minAllowedWeights: p.minAllowedWeights,
      maxWeightLimit: p.maxWeightLimit,
      commitRevealVersion: p.commitRevealVersion,
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

  async setCommitment(netuid: number, hotkey: KeyringPair, data: string): Promise<Inclusion> {
    return this.#write(() => {
      const block = this.#catchUpInTransaction();
      this.#params(netuid);
      if (uidOf(this.#db, netuid, hotkey.address) === undefined) {
        throw new ChainRejected("AccountNotAllowedCommit", `${hotkey.address} is not registered on subnet ${netuid}`);
      }
      commitmentInfo(data); // the same encodability rule as subtensor's Raw field
      // The commitments pallet's rate limit (spec 218: CommitmentRateLimit = 100 blocks per hotkey).
      const last = this.#db.prepare("SELECT block FROM commitments WHERE netuid = ? AND hotkey = ?").get(
        netuid,
        hotkey.address,
      ) as Row | undefined;
      const limit = Number(this.#meta("commitment_rate_limit") ?? DEFAULT_COMMITMENT_RATE_LIMIT);
      if (last && block < Number(last.block) + limit) {
        throw new ChainRejected(
          "CommitmentSetRateLimitExceeded",
          `last commitment at block ${last.block}, rate limit ${limit} blocks`,
        );
      }
      this.#db.prepare("INSERT OR REPLACE INTO commitments (netuid, hotkey, block, data) VALUES (?, ?, ?, ?)").run(
        netuid,
        hotkey.address,
        block,
        data,
      );
      return { block };
    });
  }

  async setWeights(
    netuid: number,
    hotkey: KeyringPair,
    uids: number[],
    weights: number[],
    versionKey: number,
  ): Promise<Inclusion> {
    return this.#write(() => {
      const block = this.#catchUpInTransaction();
      const p = this.#params(netuid);
      if (p.commitRevealEnabled) {
        throw new ChainRejected("CommitRevealEnabled", `subnet ${netuid} takes weights by commit-reveal`);
      }
      applyWeights(this.#db, netuid, p, hotkey.address, uids, weights, versionKey, block);
      return { block };
    });
  }

  /**
   * subtensor's `do_commit_weights` (spec 218): commit-reveal on, registered, rate limit by
   * LastUpdate; expired commits are dropped from the front of the queue before the limit of 10
   * unrevealed commits is checked; LastUpdate moves to the commit block.
   */
  async commitWeights(netuid: number, hotkey: KeyringPair, hash: Uint8Array): Promise<Inclusion> {
    return this.#write(() => {
      const block = this.#catchUpInTransaction();
      const p = this.#params(netuid);
      if (!p.commitRevealEnabled) {
        throw new ChainRejected("CommitRevealDisabled", `subnet ${netuid} does not use commit-reveal`);
      }
      const uid = uidOf(this.#db, netuid, hotkey.address);
      if (uid === undefined) {
        throw new ChainRejected("HotKeyNotRegisteredInSubNet", `${hotkey.address} on subnet ${netuid}`);
      }
      checkCommitRateLimit(this.#db, netuid, p, uid, block);
      const expired = (c: Row) => epochIndex(block, netuid, p.tempo) > revealEpochOf(Number(c.block), netuid, p);
      for (const c of this.#commits(netuid, hotkey.address)) {
        if (!expired(c)) break;
        this.#db.prepare("DELETE FROM weight_commits WHERE rowid = ?").run(c.rowid as number);
      }
      if (this.#commits(netuid, hotkey.address).length >= p.maxUnrevealedCommits) {
        throw new ChainRejected("TooManyUnrevealedCommits", `${p.maxUnrevealedCommits} commits await reveal`);
      }
      this.#db.prepare("INSERT INTO weight_commits (netuid, hotkey, hash, block) VALUES (?, ?, ?, ?)").run(
        netuid,
        hotkey.address,
        u8aToHex(hash),
        block,
      );
      this.#db.prepare("UPDATE neurons SET last_update = ? WHERE netuid = ? AND uid = ?").run(block, netuid, uid);
      return { block };
    });
  }

  /**
   * subtensor's `do_reveal_weights` (spec 218): the hash must match a commit that has not
   * expired, in exactly its reveal epoch (commit epoch + reveal period); the commit and every one
   * before it leave the queue; the weights are then set without the rate limit and without moving
   * LastUpdate. A refused reveal changes nothing (the runtime's storage mutation is transactional).
   */
  async revealWeights(
    netuid: number,
    hotkey: KeyringPair,
    uids: number[],
    weights: number[],
    salt: number[],
    versionKey: number,
  ): Promise<Inclusion> {
    return this.#write(() => {
      const block = this.#catchUpInTransaction();
      const p = this.#params(netuid);
      if (!p.commitRevealEnabled) {
        throw new ChainRejected("CommitRevealDisabled", `subnet ${netuid} does not use commit-reveal`);
      }
      const all = this.#commits(netuid, hotkey.address);
      if (all.length === 0) {
        throw new ChainRejected("NoWeightsCommitFound", `${hotkey.address} has no commit on subnet ${netuid}`);
      }
      const now = epochIndex(block, netuid, p.tempo);
      const revealEpoch = (c: Row) => revealEpochOf(Number(c.block), netuid, p);
      const expired = all.filter((c) => now > revealEpoch(c));
      const live = all.slice(expired.length);
      const hash = u8aToHex(commitHash(hotkey.address, netuid, uids, weights, salt, versionKey));
      const position = live.findIndex((c) => c.hash === hash);
      if (position < 0) {
        if (expired.some((c) => c.hash === hash)) {
          throw new ChainRejected("ExpiredWeightCommit", `its reveal epoch has passed (now epoch ${now})`);
        }
        if (live.length === 0) throw new ChainRejected("NoWeightsCommitFound", "every commit has expired");
        throw new ChainRejected(
          "InvalidRevealCommitHashNotMatch",
          "no commit matches these weights, salt and version key",
        );
      }
      if (now !== revealEpoch(live[position])) {
        throw new ChainRejected("RevealTooEarly", `reveal in epoch ${revealEpoch(live[position])}, now ${now}`);
      }
      for (const c of all.slice(0, expired.length + position + 1)) {
        this.#db.prepare("DELETE FROM weight_commits WHERE rowid = ?").run(c.rowid as number);
      }
      applyWeights(this.#db, netuid, p, hotkey.address, uids, weights, versionKey, block);
      return { block };
    });
  }

  async weightCommits(netuid: number, hotkey: string): Promise<WeightCommit[]> {
    this.#catchUp();
    return this.#commits(netuid, hotkey).map((c) => ({ hash: c.hash as string, block: Number(c.block) }));
  }

  /**
   * Timelocked commit-reveal: the commit is kept with its epoch and revealed by the chain itself
   * at the start of the reveal epoch, with the pulse of `revealRound` from the local beacon
   * (see timelocked_commits.ts).
   */
  async commitTimelockedWeights(
    netuid: number,
    hotkey: KeyringPair,
    commit: Uint8Array,
    revealRound: number,
    commitRevealVersion: number,
  ): Promise<Inclusion> {
    return this.#write(() => {
      const block = this.#catchUpInTransaction();
      const p = this.#params(netuid);
      storeTimelockedCommit(this.#db, {
        netuid,
        params: p,
        hotkey: hotkey.address,
        commit,
        revealRound,
        commitRevealVersion,
        block,
      });
      return { block };
    });
  }

  async timelockBeacon(): Promise<TimelockBeacon> {
    const block = this.#catchUp();
    return {
      publicKey: this.#beacon().publicKey,
      genesisTime: this.#genesisSeconds(),
      periodSeconds: BEACON_PERIOD_SECONDS,
      blockTimeSeconds: this.#blockSeconds(),
      nowSeconds: this.#genesisSeconds() + block * this.#blockSeconds(),
    };
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
  async register(netuid: number, hotkey: string, coldkey: KeyringPair): Promise<number> {
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
      // A new neuron's LastUpdate is its registration block, as subtensor's append_neuron sets it.
      this.#db.prepare(
        "INSERT INTO neurons (netuid, uid, hotkey, coldkey, block_at_registration, last_update) VALUES (?, ?, ?, ?, ?, ?)",
      )
        .run(netuid, uid, hotkey, coldkey.address, block, block);
      return uid;
    });
  }

  /** Sets the commitments pallet's rate limit (blocks between two commitments of a hotkey). */
  setCommitmentRateLimit(blocks: number): void {
    this.#write(() => this.#setMeta("commitment_rate_limit", String(blocks)));
  }

  /** Adds stake (rao) to a hotkey. */
  addStake(hotkey: string, rao: bigint): void {
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

  /** The local beacon's pulse (BLS signature, G1 compressed) for a round, once published; as pallet_drand's Pulses. */
  pulse(round: number): Uint8Array | undefined {
    return round <= this.#latestRound(this.#catchUp()) ? beaconSignature(this.#beacon(), round) : undefined;
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
        const netuid = Number(s.netuid);
        const params = { ...DEFAULT_SUBNET_PARAMS, ...JSON.parse(s.params as string) } as LocalSubnetParams;
        // As subtensor's block step: timelocked commits due are revealed every block, then the epoch runs when due.
        const latest = this.#latestRound(last);
        revealTimelockedCommits(
          this.#db,
          netuid,
          params,
          last,
          (round) => round <= latest ? beaconSignature(this.#beacon(), round) : undefined,
        );
        if (isEpochBlock(last, netuid, params.tempo)) runEpoch(this.#db, netuid, params, last);
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

  /**
   * The local beacon's key comes from the genesis hash, so every handle on the chain file agrees
   * on it; its rounds follow the chain's own clock (12 s per block under a manual clock).
   */
  #beacon(): LocalBeacon {
    if (!this.#localBeacon) {
      const genesis = (this.#db.prepare("SELECT hash FROM blocks WHERE number = 0").get() as Row).hash as string;
      const seed = createHash("sha256").update("sn9 local beacon").update(genesis).digest("hex");
      this.#localBeacon = localBeacon(BigInt("0x" + seed));
    }
    return this.#localBeacon;
  }

  #genesisSeconds(): number {
    return Math.floor(Number(this.#meta("genesis_ms")) / 1000);
  }

  #blockSeconds(): number {
    const clock = JSON.parse(this.#meta("clock")!) as BlockClock;
    return clock.kind === "timed" ? clock.blockMs / 1000 : 12;
  }

  /** The last beacon round published by `block`'s time. */
  #latestRound(block: number): number {
    return Math.floor((block * this.#blockSeconds()) / BEACON_PERIOD_SECONDS);
  }

  /** The v2 commits of a hotkey, oldest first. */
  #commits(netuid: number, hotkey: string): Row[] {
    return this.#db.prepare(
      "SELECT rowid, hash, block FROM weight_commits WHERE netuid = ? AND hotkey = ? ORDER BY block, rowid",
    ).all(netuid, hotkey) as Row[];
  }

  #params(netuid: number): LocalSubnetParams {
    const row = this.#db.prepare("SELECT params FROM subnets WHERE netuid = ?").get(netuid) as Row | undefined;
    if (!row) throw new ChainRejected("SubNetworkDoesNotExist", `subnet ${netuid} does not exist`);
    return { ...DEFAULT_SUBNET_PARAMS, ...JSON.parse(row.params as string) };
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
    stake: BigInt(r.stake as bigint),
    validatorPermit: Boolean(r.validator_permit),
    lastUpdate: Number(r.last_update),
    blockAtRegistration: Number(r.block_at_registration),
    consensus: Number(r.consensus),
    incentive: Number(r.incentive),
    dividends: Number(r.dividends),
    trust: Number(r.trust),
    validatorTrust: Number(r.validator_trust),
    emission: BigInt(r.emission as bigint),
  };
}
