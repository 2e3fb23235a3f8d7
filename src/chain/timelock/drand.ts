/**
 * Drand quicknet, the beacon subtensor's timelocked commit-reveal waits on, and the reveal-round
 * rule of the bittensor SDK (opentensor/bittensor-drand `src/drand.rs`, `generate_commit`).
 * Constants are quicknet's published chain info (api.drand.sh/52db9b…/info), as bittensor-drand
 * hard-codes them.
 */
import { createHash } from "node:crypto";
import { firstBlockOfEpoch, revealEpochOf } from "../chain.ts";

/** A beacon: its public key (G2, compressed), first round's time and period. */
export interface Beacon {
  publicKey: Uint8Array;
  genesisTime: number;
  periodSeconds: number;
}

/** Drand quicknet. */
export const QUICKNET: Beacon & { chainHash: string } = {
  publicKey: fromHex(
    "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a",
  ),
  genesisTime: 1692803367,
  periodSeconds: 3,
  chainHash: "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
};

/** The message a beacon signs for a round, used as the round's IBE identity: SHA256(round as u64 big-endian). */
export function roundIdentity(round: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(round), false);
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

/** What the reveal round depends on. */
export interface RevealRoundInput {
  currentBlock: number;
  netuid: number;
  tempo: number;
  revealPeriodEpochs: number;
  /** Seconds per block (12 on finney). */
  blockTimeSeconds: number;
  /** Wall-clock seconds since the Unix epoch, now. */
  nowSeconds: number;
  beacon?: Pick<Beacon, "genesisTime" | "periodSeconds">;
}

/**
 * The drand round to encrypt to, exactly as bittensor-drand's `generate_commit`: the first block
 * of the reveal epoch (current epoch + reveal period) plus a 3-block safety offset, turned into a
 * wall-clock time at `blockTimeSeconds` per block, then into the last round published by then
 * (rounded down, never below 1).
 */
export function revealRound(o: RevealRoundInput): number {
  const beacon = o.beacon ?? QUICKNET;
  const revealEpoch = revealEpochOf(o.currentBlock, o.netuid, o);
  const firstRevealBlock = firstBlockOfEpoch(revealEpoch, o.netuid, o.tempo);
  const SECURITY_BLOCK_OFFSET = 3;
  const blocksUntilIngest = Math.max(0, firstRevealBlock + SECURITY_BLOCK_OFFSET - o.currentBlock);
  const targetSeconds = o.nowSeconds + blocksUntilIngest * o.blockTimeSeconds;
  return Math.max(1, Math.floor((targetSeconds - beacon.genesisTime) / beacon.periodSeconds));
}

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (b) => parseInt(b, 16));
}
