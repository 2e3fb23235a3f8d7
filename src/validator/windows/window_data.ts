/**
 * A window's data, drawn from block hashes so that every validator, and every miner for its own
 * part, draws the same (docs/pseudograd.md, "Windows"): each peer's assigned pages from the hash of
 * the window's first block (stream `pseudograd/{w}/assign/{uid}`); the hidden subset of its
 * sequences that measures it, and the window's common random pages, from the hash of the deadline
 * block (streams `pseudograd/{w}/own/{uid}`, `pseudograd/{w}/random`, and `…/random/sequences`
 * for the subset of the random pages' sequences), which no one knows while training or
 * submitting; and a fixed subset of fixed held-out pages from the pinned base's hash, the same
 * every window, so the global model's loss on them is comparable window over window.
 */
import { createHash } from "node:crypto";
import type { PseudogradCompetition } from "../../competitions/mod.ts";
import {
  DATASETS,
  type DatasetsServerClient,
  fetchTaskDocuments,
  loadTokenizer,
  packSequences,
  SeededStream,
  seedFromBlockHash,
  type TextTokenizer,
  tokenizeDocuments,
} from "../../data/mod.ts";
import { type WindowData, windowSeeds, windowSpan } from "../../pseudograd/mod.ts";

/** Where pages come from, and the tokenizer's home. */
export interface WindowPagesSource {
  client: DatasetsServerClient;
  cacheDir: string;
  resolveTokenizer?: (repo: string) => Promise<string>;
}

/** Pages of one labelled stream: their documents, and the sequences they pack into. */
export interface DrawnPages {
  documents: string[];
  sequences: number[][];
}

/** The pages `uid` is assigned in window `w`: what an honest miner trains on. */
export async function assignedPages(
  competition: PseudogradCompetition,
  o: WindowPagesSource & { window: number; uid: number; startBlockHash: string },
): Promise<DrawnPages> {
  const seeds = windowSeeds(o.window, competition.pseudograd);
  const tokenizer = await tokenizerOf(competition, o);
  return await drawPages(competition, o, tokenizer, {
    seed: seedFromBlockHash(o.startBlockHash),
    label: seeds.assignLabel(o.uid),
    pages: competition.pseudograd.assignedPages,
  });
}

/** Window `w`'s data for the peers `uids`, given the hashes of its first block and its deadline block. */
export async function windowData(
  competition: PseudogradCompetition,
  o: WindowPagesSource & { window: number; uids: readonly number[]; startBlockHash: string; deadlineBlockHash: string },
): Promise<WindowData & { manifest: WindowDataManifest }> {
  const rules = competition.pseudograd;
  const seeds = windowSeeds(o.window, rules);
  const tokenizer = await tokenizerOf(competition, o);
  const reveal = seedFromBlockHash(o.deadlineBlockHash);
  const own = new Map<number, number[][]>();
  for (const uid of o.uids) {
    const assigned = await drawPages(competition, o, tokenizer, {
      seed: seedFromBlockHash(o.startBlockHash),
      label: seeds.assignLabel(uid),
      pages: rules.assignedPages,
    });
    own.set(uid, pick(assigned.sequences, rules.ownSequences, new SeededStream(reveal, seeds.ownLabel(uid))));
  }
  const randomPages = await drawPages(competition, o, tokenizer, {
    seed: reveal,
    label: seeds.randomLabel,
    pages: rules.randomPages,
  });
  const random = pick(
    randomPages.sequences,
    rules.randomSequences,
    new SeededStream(reveal, `${seeds.randomLabel}/sequences`),
  );
  const fixed = new Uint8Array(createHash("sha256").update(`pseudograd/held-out/${rules.base.hash}`).digest());
  const heldOutPages = await drawPages(competition, o, tokenizer, {
    seed: fixed,
    label: "pseudograd/held-out",
    pages: rules.heldOutPages,
  });
  const heldOut = {
    sequences: pick(
      heldOutPages.sequences,
      rules.heldOutSequences,
      new SeededStream(fixed, "pseudograd/held-out/sequences"),
    ),
  };
  const span = windowSpan(o.window, rules);
  return {
    own,
    random,
    heldOut: heldOut.sequences,
    manifest: {
      window: o.window,
      startBlock: span.start,
      deadlineBlock: span.deadline,
      startBlockHash: o.startBlockHash,
      deadlineBlockHash: o.deadlineBlockHash,
      ownSequences: Object.fromEntries([...own].map(([uid, s]) => [uid, s.length])),
      randomSequences: random.length,
      heldOutSequences: heldOut.sequences.length,
    },
  };
}

/** What replays a window's data: the two block hashes it was drawn from, and how much of each kind. */
export interface WindowDataManifest {
  window: number;
  startBlock: number;
  deadlineBlock: number;
  startBlockHash: string;
  deadlineBlockHash: string;
  ownSequences: Record<string, number>;
  randomSequences: number;
  heldOutSequences: number;
}

async function tokenizerOf(competition: PseudogradCompetition, o: WindowPagesSource): Promise<TextTokenizer> {
  return await loadTokenizer(competition.tokenizer, { cacheDir: o.cacheDir, resolveRepo: o.resolveTokenizer });
}

/** `pages` pages of the competition's first task's dataset, from stream `label` of `seed`. */
async function drawPages(
  competition: PseudogradCompetition,
  o: WindowPagesSource,
  tokenizer: TextTokenizer,
  draw: { seed: Uint8Array; label: string; pages: number },
): Promise<DrawnPages> {
  const dataset = DATASETS[competition.tasks[0].dataset];
  const { documents } = await fetchTaskDocuments(o.client, dataset, {
    seed: draw.seed,
    taskId: draw.label,
    pages: draw.pages,
  });
  const sequences = packSequences(tokenizeDocuments(tokenizer, documents), competition.sequenceLength);
  return { documents, sequences: sequences.map((s) => Array.from(s)) };
}

/** `n` of `items` (all of them when fewer), chosen without replacement by a partial Fisher–Yates shuffle. */
function pick<T>(items: readonly T[], n: number, stream: SeededStream): T[] {
  const order = items.map((_, i) => i);
  const count = Math.min(n, order.length);
  for (let i = 0; i < count; i++) {
    const j = i + stream.uniform(order.length - i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.slice(0, count).sort((a, b) => a - b).map((i) => items[i]);
}
