/**
 * Competitions for tests: a tiny byte-level GPT-2 competition's common rules with a test's own on
 * top, and a pseudo-gradient competition's rules (windows of 20 blocks, 5 to commit in, a small
 * codec, Templar's scoring constants). Loose on purpose: some tests build competitions the schedule
 * must refuse.
 */
import type { Competition } from "../../src/mod.ts";

/** A tiny competition: byte tokenizer, GPT-2, one falcon page, the whole reward; `over` replaces any field. */
export function tinyCompetition(over: Record<string, unknown> = {}): Competition {
  return {
    id: 1,
    name: "c",
    minParameters: 0,
    maxParameters: 2_000_000,
    maxBytes: 1_000_000,
    sequenceLength: 64,
    tokenizer: "byte",
    architectures: ["GPT2LMHeadModel"],
    tasks: [{ id: "falcon", dataset: "falcon", pages: 1, weight: 1 }],
    rewardShare: 1,
    epsilon: { start: 0.005, end: 0.0001, decayBlocks: 50 },
    evalBlockDelay: 0,
    ...over,
  } as Competition;
}

/** A pseudo-gradient competition's rules on the base pinned as `base`. */
export function tinyPseudogradRules(base: { repo: string; revision: string; hash: string }, startBlock = 0) {
  return {
    base,
    startBlock,
    windowBlocks: 20,
    putBlocks: 5,
    codec: { chunk: 64, topk: 4, bins: 16, range: 6 },
    assignedPages: 2,
    ownSequences: 6,
    randomPages: 1,
    randomSequences: 8,
    heldOutPages: 2,
    heldOutSequences: 32,
    eta: 0.2,
    outerLr: 1,
    gather: 3,
    // Honest miners counting pages of one text share up to ~0.6 of their positions at 4 of 52 kept.
    overlapThreshold: 0.9,
  };
}
