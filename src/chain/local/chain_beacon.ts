/**
 * The local chain's drand-like beacon, which timelocked commit-reveal encrypts to. Its key comes
 * from the genesis hash, so every handle on the chain file derives the same one and no secret is
 * stored; its rounds follow the chain's own clock from genesis, so a round's pulse is out at a
 * block exactly when drand's would be out by that block's time.
 */
import { createHash } from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import type { TimelockBeacon } from "../chain.ts";
import { beaconSignature, type LocalBeacon, localBeacon } from "../timelock/mod.ts";
import { blockSeconds } from "./clock_kind.ts";
import type { ChainMeta } from "./meta.ts";

type Row = Record<string, unknown>;

/** Seconds between two rounds of the local beacon (drand quicknet's period). */
export const BEACON_PERIOD_SECONDS = 3;

/** The beacon of one chain file. */
export class ChainBeacon {
  #db: DatabaseSync;
  #meta: ChainMeta;
  #beacon?: LocalBeacon;

  constructor(db: DatabaseSync, meta: ChainMeta) {
    this.#db = db;
    this.#meta = meta;
  }

  /** The pulse (BLS signature, G1 compressed) of `round` as of `block`, or undefined before it is published. */
  pulse(round: number, block: number): Uint8Array | undefined {
    return round <= this.#latestRound(block) ? beaconSignature(this.#key(), round) : undefined;
  }

  /** What a client needs to encrypt to the beacon, and the chain's time as of `block`. */
  info(block: number): TimelockBeacon {
    const genesisSeconds = Math.floor(this.#meta.genesisMs / 1000);
    const seconds = blockSeconds(this.#meta.clock);
    return {
      publicKey: this.#key().publicKey,
      genesisTime: genesisSeconds,
      periodSeconds: BEACON_PERIOD_SECONDS,
      blockTimeSeconds: seconds,
      nowSeconds: genesisSeconds + block * seconds,
    };
  }

  /** The last round published by `block`'s time. */
  #latestRound(block: number): number {
    return Math.floor((block * blockSeconds(this.#meta.clock)) / BEACON_PERIOD_SECONDS);
  }

  /** Derived on first use only: the key costs a scalar multiplication that most handles never need. */
  #key(): LocalBeacon {
    if (!this.#beacon) {
      const genesis = (this.#db.prepare("SELECT hash FROM blocks WHERE number = 0").get() as Row).hash as string;
      const seed = createHash("sha256").update("sn9 local beacon").update(genesis).digest("hex");
      this.#beacon = localBeacon(BigInt("0x" + seed));
    }
    return this.#beacon;
  }
}
