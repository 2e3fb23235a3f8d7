/** The kinds of clock a local chain can run on, and what a block is worth in seconds. */

/** How blocks advance. */
export type BlockClock = { kind: "timed"; blockMs: number } | { kind: "manual" };

/** The clock of a new chain file when none is given: subtensor's 12 s blocks. */
export const DEFAULT_BLOCK_CLOCK: BlockClock = { kind: "timed", blockMs: 12_000 };

/**
 * Seconds per block. A manual clock has no time of its own; it is given subtensor's 12 s, so that
 * the beacon's rounds (and the reveal rounds clients compute) advance with its blocks as on finney.
 */
export function blockSeconds(clock: BlockClock): number {
  return clock.kind === "timed" ? clock.blockMs / 1000 : 12;
}
