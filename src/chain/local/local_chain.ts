// The Chain methods are async without awaiting anything: SQLite is synchronous, and async turns
// every refusal into a rejected promise, as callers of a remote chain expect.
// deno-lint-ignore-file require-await
/**
 * The embedded local chain: subtensor's rules for what the product uses, on one SQLite file
 * (WAL mode) that several processes may share. This file is the `Chain` implementation and wires
 * the parts together; every call that writes runs in one write transaction that first produces
 * the blocks the clock says are missing, so a refused call or a crash mid-write rolls back to the
 * last commit. The parts:
 * - block_clock.ts: the clock, block production, and each block's step (timelocked reveals, epochs);
 * - meta.ts: the settings kept in the `meta` table; subnets.ts: subnet parameters;
 * - admin.ts: registration and stake; set_weights_rules.ts, weight_commits.ts,
 *   timelocked_commits.ts: setting weights directly, by commit-reveal v2, and timelocked;
 * - chain_beacon.ts: the local drand-like beacon that timelocked commits are encrypted to.
 */
import type { DatabaseSync } from "node:sqlite";
import type { KeyringPair } from "@polkadot/keyring/types";
import { ChainRejected } from "../chain.ts";
import type * as chain from "../chain.ts";
import { commitmentInfo } from "../subtensor/codec.ts";
import type { YumaOutput } from "../yuma/mod.ts";
import { addStake, registerNeuron } from "./admin.ts";
import { BlockProducer } from "./block_clock.ts";
import { type BlockClock, DEFAULT_BLOCK_CLOCK } from "./clock_kind.ts";
import { ChainBeacon } from "./chain_beacon.ts";
import { openChainDatabase, writeTransaction } from "./database.ts";
import { readSparse } from "./epoch_runner.ts";
import { ChainMeta } from "./meta.ts";
import type { LocalSubnetParams } from "./params.ts";
import { SCHEMA } from "./schema.ts";
import { applyWeights, uidOf } from "./set_weights_rules.ts";
import { type LocalCall, saveSubnet, type SubnetAt, subnetParams } from "./subnets.ts";
import { storeTimelockedCommit } from "./timelocked_commits.ts";
import { revealWeightCommit, storeWeightCommit, weightCommitsOf } from "./weight_commits.ts";

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

type Row = Record<string, unknown>;

/** The local chain. Admin operations (subnets, registration, stake, advancing) are methods too. */
export class LocalChain implements chain.Chain {
  readonly name: string;
  #db: DatabaseSync;
  #meta: ChainMeta;
  #beacon: ChainBeacon;
  #blocks: BlockProducer;

  private constructor(readonly path: string, db: DatabaseSync, now: () => number) {
    this.name = `local:${path}`;
    this.#db = db;
    this.#meta = new ChainMeta(db);
    this.#beacon = new ChainBeacon(db, this.#meta);
    this.#blocks = new BlockProducer(db, this.#meta, this.#beacon, now);
  }

  /** Opens (creating if needed) the chain in `path`. */
  static open(path: string, options: LocalChainOptions = {}): LocalChain {
    const db = openChainDatabase(path);
    const opened = new LocalChain(path, db, options.now ?? Date.now);
    // One transaction, so that of two processes creating the same file only one writes genesis.
    writeTransaction(db, () => {
      db.exec(SCHEMA);
      // A chain written before the history existed kept each hotkey's latest commitment only.
      if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'commitments'").get()) {
        db.exec("INSERT OR IGNORE INTO commitment_history SELECT netuid, hotkey, block, data FROM commitments");
        db.exec("DROP TABLE commitments");
      }
      if (!opened.#meta.hasGenesis) {
        opened.#blocks.writeGenesis(options.clock ?? DEFAULT_BLOCK_CLOCK, options.genesisHash);
      }
    });
    return opened;
  }

  // ---- Chain interface -------------------------------------------------------------------

  async currentBlock(): Promise<number> {
    return this.#blocks.head();
  }

  async blockHash(block: number): Promise<string> {
    return this.#blocks.blockHash(block);
  }

  async metagraph(netuid: number): Promise<chain.Metagraph> {
    const block = this.#blocks.head();
    subnetParams(this.#db, netuid);
    const query = this.#db.prepare(
      "SELECT n.*, COALESCE(s.amount, 0) AS stake FROM neurons n LEFT JOIN stake s ON s.hotkey = n.hotkey WHERE netuid = ? ORDER BY uid",
    );
    query.setReadBigInts(true); // rao amounts pass 2^53
    return { netuid, block, neurons: (query.all(netuid) as Row[]).map(toNeuron) };
  }

  async hyperparameters(netuid: number): Promise<chain.SubnetHyperparameters> {
    this.#blocks.head();
    const p = subnetParams(this.#db, netuid);
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

  async commitments(netuid: number, at?: number): Promise<chain.Commitment[]> {
    // Every commitment is kept with its block: the state after block `at` is each hotkey's latest
    // at or before it (as subtensor's storage read at that block's hash), the head's by default.
    const rows = this.#db.prepare(
      `SELECT h.hotkey, h.block, h.data FROM commitment_history h
       WHERE h.netuid = ? AND h.block = (SELECT MAX(block) FROM commitment_history
         WHERE netuid = h.netuid AND hotkey = h.hotkey AND block <= ?)
       ORDER BY h.hotkey`,
    ).all(netuid, at ?? this.#blocks.head()) as Row[];
    return rows.map((r) => ({ hotkey: r.hotkey as string, block: Number(r.block), data: r.data as string }));
  }

  async commitment(netuid: number, hotkey: string): Promise<chain.Commitment | null> {
    return (await this.commitments(netuid)).find((c) => c.hotkey === hotkey) ?? null;
  }

  async setCommitment(netuid: number, hotkey: KeyringPair, data: string): Promise<chain.Inclusion> {
    return this.#extrinsic(hotkey, { netuid, data }, ({ block }) => {
      if (uidOf(this.#db, netuid, hotkey.address) === undefined) {
        throw new ChainRejected("AccountNotAllowedCommit", `${hotkey.address} is not registered on subnet ${netuid}`);
      }
      commitmentInfo(data); // the same encodability rule as subtensor's Raw field
      // The commitments pallet's rate limit (spec 218: CommitmentRateLimit = 100 blocks per hotkey).
      const last = this.#db.prepare(
        "SELECT MAX(block) AS block FROM commitment_history WHERE netuid = ? AND hotkey = ? HAVING block IS NOT NULL",
      ).get(netuid, hotkey.address) as Row | undefined;
      const limit = this.#meta.commitmentRateLimit ?? DEFAULT_COMMITMENT_RATE_LIMIT;
      if (last && block < Number(last.block) + limit) {
        throw new ChainRejected(
          "CommitmentSetRateLimitExceeded",
          `last commitment at block ${last.block}, rate limit ${limit} blocks`,
        );
      }
      this.#db.prepare("INSERT OR REPLACE INTO commitment_history (netuid, hotkey, block, data) VALUES (?, ?, ?, ?)")
        .run(
          netuid,
          hotkey.address,
          block,
          data,
        );
    });
  }

  async setWeights(hotkey: KeyringPair, payload: chain.WeightsPayload): Promise<chain.Inclusion> {
    return this.#extrinsic(hotkey, payload, (call) => {
      if (call.params.commitRevealEnabled) {
        throw new ChainRejected("CommitRevealEnabled", `subnet ${call.netuid} takes weights by commit-reveal`);
      }
      applyWeights(this.#db, call);
    });
  }

  /** Commit-reveal v2's commit, as subtensor's `do_commit_weights` (see weight_commits.ts). */
  async commitWeights(hotkey: KeyringPair, payload: chain.HashCommitPayload): Promise<chain.Inclusion> {
    return this.#extrinsic(hotkey, payload, (call) => storeWeightCommit(this.#db, call));
  }

  /** Commit-reveal v2's reveal, as subtensor's `do_reveal_weights` (see weight_commits.ts). */
  async revealWeights(hotkey: KeyringPair, payload: chain.RevealPayload): Promise<chain.Inclusion> {
    return this.#extrinsic(hotkey, payload, (call) => revealWeightCommit(this.#db, call));
  }

  async weightCommits(netuid: number, hotkey: string): Promise<chain.WeightCommit[]> {
    this.#blocks.head();
    return weightCommitsOf(this.#db, netuid, hotkey);
  }

  /**
   * Timelocked commit-reveal: the commit is kept with its epoch and revealed by the chain itself
   * at the start of the reveal epoch, with the pulse of `revealRound` from the local beacon
   * (see timelocked_commits.ts).
   */
  async commitTimelockedWeights(hotkey: KeyringPair, payload: chain.TimelockedCommitPayload): Promise<chain.Inclusion> {
    return this.#extrinsic(hotkey, payload, (call) => storeTimelockedCommit(this.#db, call));
  }

  async timelockBeacon(): Promise<chain.TimelockBeacon> {
    return this.#beacon.info(this.#blocks.head());
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  // ---- Admin operations ------------------------------------------------------------------

  /** Creates a subnet (or updates its parameters). */
  createSubnet(netuid: number, params: Partial<LocalSubnetParams> = {}): void {
    this.#write(() => {
      this.#blocks.headInTransaction();
      saveSubnet(this.#db, netuid, params);
    });
  }

  /** Registers a hotkey (replacing the lowest-emission neuron when full); returns its uid. */
  async register(netuid: number, hotkey: string, coldkey: KeyringPair): Promise<number> {
    return this.#onSubnet(netuid, (at) => registerNeuron(this.#db, { ...at, hotkey, coldkey: coldkey.address }));
  }

  /** Sets the commitments pallet's rate limit (blocks between two commitments of a hotkey). */
  setCommitmentRateLimit(blocks: number): void {
    this.#write(() => {
      this.#meta.commitmentRateLimit = blocks;
    });
  }

  /** Adds stake (rao) to a hotkey. */
  addStake(hotkey: string, rao: bigint): void {
    this.#write(() => {
      this.#blocks.headInTransaction();
      addStake(this.#db, hotkey, rao);
    });
  }

  /** Manual clock: produces `n` blocks now (epochs included). Timed clock: refused. */
  advance(n = 1): number {
    return this.#blocks.advance(n);
  }

  /** The local beacon's pulse (BLS signature, G1 compressed) for a round, once published; as pallet_drand's Pulses. */
  pulse(round: number): Uint8Array | undefined {
    return this.#beacon.pulse(round, this.#blocks.head());
  }

  /** Epoch results recorded for a subnet, oldest first. */
  epochs(netuid: number): { block: number; result: YumaOutput }[] {
    const rows = this.#db.prepare("SELECT block, result FROM epochs WHERE netuid = ? ORDER BY block").all(
      netuid,
    ) as Row[];
    return rows.map((r) => ({ block: Number(r.block), result: JSON.parse(r.result as string) }));
  }

  /** Raw weights rows of a subnet (uid → [[uid, u16], …]). */
  weights(netuid: number): Promise<chain.WeightRows> {
    return Promise.resolve(readSparse(this.#db, "weights", netuid));
  }

  #write<T>(fn: () => T): T {
    return writeTransaction(this.#db, fn);
  }

  /**
   * Runs `fn` on a subnet as the runtime runs a call: in one write transaction, at the head block
   * (producing the blocks the clock says are missing first), with the subnet's parameters; a
   * subnet that does not exist is refused before anything else, as subtensor refuses it.
   */
  #onSubnet<T>(netuid: number, fn: (at: SubnetAt) => T): T {
    return this.#write(() => {
      const block = this.#blocks.headInTransaction();
      return fn({ netuid, params: subnetParams(this.#db, netuid), block });
    });
  }

  /**
   * One extrinsic signed by `hotkey`: `apply` gets the payload with the signer, the subnet and the
   * block (a `LocalCall`) and throws `ChainRejected` to refuse it, which rolls everything back;
   * resolves with the block it landed in, as subtensor's inclusion.
   */
  #extrinsic<P extends { netuid: number }>(
    hotkey: KeyringPair,
    payload: P,
    apply: (call: LocalCall<P>) => void,
  ): chain.Inclusion {
    return this.#onSubnet(payload.netuid, (at) => {
      apply({ ...payload, ...at, hotkey: hotkey.address });
      return { block: at.block };
    });
  }
}

function toNeuron(r: Row): chain.Neuron {
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
