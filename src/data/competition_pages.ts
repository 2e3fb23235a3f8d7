/**
 * A competition's evaluation pages, in one place for the validator's step, the miner's preflight
 * and the adapter averager: its tokenizer loaded (`loadTokenizer`), then every task's seeded pages
 * fetched, tokenized and packed to its sequence length (`prepareEvalData`), with the manifest.
 * It takes the few fields of a competition it needs as a plain input, so `src/data/` stays below
 * `src/competitions/`.
 */
import type { DatasetsServerClient } from "./datasets_server.ts";
import { type EvalManifest, prepareEvalData, type TaskData, type TaskSpec, TokenizedPagesCache } from "./eval_data.ts";
import { loadTokenizer, type TextTokenizer } from "./tokenizers/mod.ts";

/** What the pages depend on in a competition (a `Competition` is one). */
export interface CompetitionPagesInput {
  /** "gpt2", "byte", a local directory or a Hugging Face repo id (see `loadTokenizer`). */
  tokenizer: string;
  tasks: readonly TaskSpec[];
  sequenceLength: number;
}

/** Options for `prepareCompetitionPages`. */
export interface CompetitionPagesOptions {
  client: DatasetsServerClient;
  seed: Uint8Array;
  /** Recorded in the manifest when given. */
  block?: number;
  blockHash?: string;
  /** Where bundled tokenizers are built. */
  cacheDir: string;
  /** A tokenizer repo id → a local directory holding its files (`loadTokenizer`'s `resolveRepo`). */
  resolveTokenizer?: (repo: string) => Promise<string>;
  /** Shared with other competitions of the same step; a fresh one by default. */
  cache?: TokenizedPagesCache;
}

/** A competition's tokenizer, its tasks' packed sequences and the manifest that replays them. */
export interface CompetitionPages {
  tokenizer: TextTokenizer;
  tasks: TaskData[];
  manifest: EvalManifest;
}

/** Loads `competition`'s tokenizer and prepares the evaluation pages of all its tasks. */
export async function prepareCompetitionPages(
  competition: CompetitionPagesInput,
  o: CompetitionPagesOptions,
): Promise<CompetitionPages> {
  const tokenizer = await loadTokenizer(competition.tokenizer, {
    cacheDir: o.cacheDir,
    resolveRepo: o.resolveTokenizer,
  });
  const { tasks, manifest } = await prepareEvalData({
    client: o.client,
    tokenizer,
    tasks: competition.tasks,
    sequenceLength: competition.sequenceLength,
    seed: o.seed,
    block: o.block,
    blockHash: o.blockHash,
    cache: o.cache ?? new TokenizedPagesCache(),
  });
  return { tokenizer, tasks, manifest };
}
