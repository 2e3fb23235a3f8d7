/** Timing of one task's data path: fetch (or cache), tokenize, pack. */
import { DATASETS } from "./datasets.ts";
import type { DatasetsServerClient } from "./datasets_server.ts";
import { packSequences, tokenizeDocuments } from "./pack.ts";
import { fetchTaskDocuments } from "./task_documents.ts";
import type { TextTokenizer } from "./tokenizers/mod.ts";

/** What was measured. */
export interface DataPipelineTiming {
  pages: number;
  documents: number;
  characters: number;
  tokens: number;
  sequences: number;
  fetchMs: number;
  tokenizeMs: number;
  packMs: number;
  /** Tokens per second of tokenization + packing. */
  tokensPerSecond: number;
}

/** Fetches, tokenizes and packs `pages` pages of `dataset`, timing each stage. */
export async function benchDataPipeline(o: {
  client: DatasetsServerClient;
  tokenizer: TextTokenizer;
  dataset: string;
  pages: number;
  sequenceLength: number;
  seed: Uint8Array;
}): Promise<DataPipelineTiming> {
  let t = performance.now();
  const fetched = await fetchTaskDocuments(o.client, DATASETS[o.dataset], {
    seed: o.seed,
    taskId: o.dataset,
    pages: o.pages,
  });
  const fetchMs = performance.now() - t;
  t = performance.now();
  const documents = tokenizeDocuments(o.tokenizer, fetched.documents);
  const tokenizeMs = performance.now() - t;
  t = performance.now();
  const sequences = packSequences(documents, o.sequenceLength);
  const packMs = performance.now() - t;
  const tokens = documents.reduce((n, d) => n + d.length, 0);
  return {
    pages: o.pages,
    documents: documents.length,
    characters: fetched.documents.reduce((n, d) => n + d.length, 0),
    tokens,
    sequences: sequences.length,
    fetchMs,
    tokenizeMs,
    packMs,
    tokensPerSecond: tokens / ((tokenizeMs + packMs) / 1000),
  };
}
