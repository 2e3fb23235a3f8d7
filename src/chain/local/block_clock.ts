/**
 * Block production on the local chain. Blocks follow a clock, timed (one every `blockMs` since
 * genesis) or manual (`advance`), and nothing ticks in the background: whichever process next
 * touches the chain produces the blocks the clock says are missing, inside a write transaction, so
 * several processes sharing the file never produce a block twice. Each new block gets a hash
 * chained from the previous one, then runs subtensor's block step for every subnet.
 */
import { createHash } from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import { u8aToHex } from "@polkadot/util";
import { isEpochBlock } from "../chain.ts";
import type { ChainBeacon } from "./chain_beacon.ts";
import { writeTransaction } from "./database.ts";
import { runEpoch } from "./epoch_runner.ts";
import type { ChainMeta } from "./meta.ts";
import type { BlockClock } from "./clock_kind.ts";
import { allSubnets } from "./subnets.ts";
import { revealTimelockedCommits } from "./timelocked_commits.ts";

type Row = Record<string, unknown>;

/** The blocks of one chain file: genesis, the head, advancing, and what each new block runs. */
export class BlockProducer {
  #db: DatabaseSync;
  #meta: ChainMeta;
  #beacon: ChainBeacon;
  #now: () => number;

  /** `now` is the time source (ms) a timed clock counts from. */
  constructor(db: DatabaseSync, meta: ChainMeta, beacon: ChainBeacon, now: () => number) {
    this.#db = db;
    this.#meta = meta;
    this.#beacon = beacon;
    this.#now = now;
  }

  /**
   * Writes genesis (inside the caller's transaction): the clock, the time it starts from, and
   * block 0 with `genesisHash` (random when not given).
   */
  writeGenesis(clock: BlockClock, genesisHash?: string): void {
    const genesis = genesisHash ?? u8aToHex(crypto.getRandomValues(new Uint8Array(32)));
    if (!/^0x[0-9a-f]{64}$/.test(genesis)) {
      throw new TypeError("genesisHash must be 0x and 64 lowercase hex digits");
    }
    this.#meta.clock = clock;
    this.#meta.genesisMs = this.#now();
    this.#meta.manualBlock = 0;
    this.#db.prepare("INSERT INTO blocks (number, hash) VALUES (0, ?)").run(genesis);
  }

  /**
   * The block the clock says it is, producing any missing blocks first. Takes the write lock only
   * when a block is missing, so reads from many processes do not queue behind one another.
   */
  head(): number {
    const last = this.#lastBlock();
    if (this.#targetBlock() <= last) return last;
    return writeTransaction(this.#db, () => this.headInTransaction());
  }

  /** As `head`, inside the caller's write transaction (every write call starts with it). */
  headInTransaction(): number {
    let last = this.#lastBlock();
    const target = this.#targetBlock();
    const insert = this.#db.prepare("INSERT INTO blocks (number, hash) VALUES (?, ?)");
    let hash = this.#storedHash(last);
    while (last < target) {
      last++;
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(last));
      hash = "0x" + createHash("sha256").update(hash).update(bytes).digest("hex");
      insert.run(last, hash);
      this.#runBlock(last);
    }
    return last;
  }

  /** Manual clock: produces `n` blocks now (epochs included) and returns the new head. Timed clock: refused. */
  advance(n: number): number {
    return writeTransaction(this.#db, () => {
      if (this.#meta.clock.kind !== "manual") throw new TypeError("advance() needs a manual clock");
      this.#meta.manualBlock = this.#meta.manualBlock + n;
      return this.headInTransaction();
    });
  }

  /** The hash of a block up to the head; a block not produced yet is a RangeError. */
  blockHash(block: number): string {
    const current = this.head();
    if (!Number.isInteger(block) || block < 0 || block > current) {
      throw new RangeError(`block ${block} is not in 0..${current}`);
    }
    return this.#storedHash(block);
  }

  /**
   * subtensor's block step for each subnet: timelocked commits that are due are revealed every
   * block, then, on an epoch block ((block + netuid + 1) mod (tempo + 1) = 0), the epoch runs
   * Yuma Consensus and pays emission into stake.
   */
  #runBlock(block: number): void {
    for (const subnet of allSubnets(this.#db)) {
      const at = { ...subnet, block };
      revealTimelockedCommits(this.#db, at, (round) => this.#beacon.pulse(round, block));
      if (isEpochBlock(block, subnet.netuid, subnet.params.tempo)) runEpoch(this.#db, at);
    }
  }

  #targetBlock(): number {
    const clock = this.#meta.clock;
    if (clock.kind === "manual") return this.#meta.manualBlock;
    return Math.max(0, Math.floor((this.#now() - this.#meta.genesisMs) / clock.blockMs));
  }

  #lastBlock(): number {
    return Number((this.#db.prepare("SELECT MAX(number) AS n FROM blocks").get() as Row).n);
  }

  #storedHash(block: number): string {
    return (this.#db.prepare("SELECT hash FROM blocks WHERE number = ?").get(block) as Row).hash as string;
  }
}
