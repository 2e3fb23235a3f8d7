/**
 * A pseudo-gradient competition's clock (docs/pseudograd.md, "Windows"): windows of
 * `windowBlocks` from the competition's start; a miner trains during window w and commits its
 * submission after the window ends, by the deadline `putBlocks` later. The commitment's
 * inclusion block is the clock (Templar used its storage's timestamps, which miners' buckets
 * keep). The data each evaluation uses is seeded from block hashes, so any validator can replay
 * it: the assigned pages from the hash of the window's first block, the hidden "own" subset and
 * the window's common random pages from the hash of the deadline block, unknown while the miner
 * trains or submits.
 */

/** A competition's windows. */
export interface WindowRules {
  /** The first block of window 0. */
  startBlock: number;
  windowBlocks: number;
  /** Blocks after a window's end in which its submissions may be included. */
  putBlocks: number;
}

/** Commitments are rate-limited to about 31 per tempo per hotkey, enough for windows of 12 blocks or more. */
export const MIN_WINDOW_BLOCKS = 12;

/** Refuses rules the chain cannot serve (one line naming the rule). */
export function checkWindowRules(r: WindowRules): void {
  if (!Number.isSafeInteger(r.startBlock) || r.startBlock < 0) {
    throw new RangeError(`window start block ${r.startBlock} must be a non-negative integer`);
  }
  if (!Number.isSafeInteger(r.windowBlocks) || r.windowBlocks < MIN_WINDOW_BLOCKS) {
    throw new RangeError(
      `window_blocks ${r.windowBlocks} must be an integer ≥ ${MIN_WINDOW_BLOCKS} (a hotkey can commit about 31 times a tempo)`,
    );
  }
  if (!Number.isSafeInteger(r.putBlocks) || r.putBlocks < 1 || r.putBlocks >= r.windowBlocks) {
    throw new RangeError(`put_blocks ${r.putBlocks} must be an integer in [1, window_blocks)`);
  }
}

/** A window's blocks: it runs over [start, end); its submissions are included in [end, deadline]. */
export interface WindowSpan {
  window: number;
  start: number;
  end: number;
  deadline: number;
}

/** The window `block` falls in, or null before the first. */
export function windowAt(block: number, r: WindowRules): number | null {
  return block < r.startBlock ? null : Math.floor((block - r.startBlock) / r.windowBlocks);
}

/** Window `w`'s blocks. */
export function windowSpan(w: number, r: WindowRules): WindowSpan {
  const start = r.startBlock + w * r.windowBlocks, end = start + r.windowBlocks;
  return { window: w, start, end, deadline: end + r.putBlocks };
}

/** When a submission for window `w` was included, against its span. */
export type SubmissionTiming = "early" | "on time" | "late";

/** "early" before the window ends, "late" after its deadline. */
export function submissionTiming(inclusionBlock: number, w: number, r: WindowRules): SubmissionTiming {
  const s = windowSpan(w, r);
  return inclusionBlock < s.end ? "early" : inclusionBlock > s.deadline ? "late" : "on time";
}

/** The blocks whose hashes seed window `w`'s data, and the stream labels each draw uses. */
export function windowSeeds(w: number, r: WindowRules): {
  assignBlock: number;
  revealBlock: number;
  assignLabel: (uid: number) => string;
  ownLabel: (uid: number) => string;
  randomLabel: string;
} {
  const s = windowSpan(w, r);
  return {
    assignBlock: s.start,
    revealBlock: s.deadline,
    assignLabel: (uid) => `pseudograd/${w}/assign/${uid}`,
    ownLabel: (uid) => `pseudograd/${w}/own/${uid}`,
    randomLabel: `pseudograd/${w}/random`,
  };
}
