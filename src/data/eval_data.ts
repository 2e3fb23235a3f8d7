/**
 * A step's evaluation data for one competition: per task, documents from the seeded pages,
 * tokenized once per tokenizer (shared across competitions through `TokenizedPagesCache`),
 * packed to the competition's sequence length, with the manifest that lets anyone replay it.
 */
import { DATASETS } from "./datasets.ts";
import type { DatasetsServerClient } from "./datasets_server.ts";
import { packSequences, tokenizeDocuments, tokenStreamHash } from "./pack.ts";
import type { PageRef } from "./page_plan.ts";
import { toHex } from "./seeded_random.ts";
import { fetchTaskDocuments } from "./task_documents.ts";
import type { TextTokenizer } from "./tokenizers/mod.ts";

/** What a task asks for (a subset of a competition's task). */
export interface TaskSpec {
  id: string;
  dataset: string;
  pages: number;
  weight: number;
}

/** Everything needed to replay one task's evaluation input bit for bit. */
export interface TaskManifest {
  taskId: string;
  dataset: string;
  hfDataset: string;
  split: string;
  /** The dataset's git revision on the datasets-server (`X-Revision`), when it said. */
  revision?: string;
  pages: PageRef[];
  replacedPages: { page: PageRef; reason: string }[];
  documents: number;
  /** Tokens of all documents after truncation, EOS included. */
  tokens: number;
  sequenceLength: number;
  sequences: number;
  /** Tokens in the dropped tail. */
  droppedTokens: number;
  /** SHA-256 of the packed sequences as little-endian u32 ids (see pack.ts). */
  streamSha256: string;
}

/** The manifest of one competition's step. */
export interface EvalManifest {
  seed: string;
  block?: number;
  blockHash?: string;
  tokenizer: string;
  tasks: TaskManifest[];
}

/** One task's packed sequences. */
export interface TaskData {
  task: TaskSpec;
  sequences: Int32Array[];
  manifest: TaskManifest;
}

/**
 * Tokenized documents per (task plan, tokenizer) for one step, so competitions that share a
 * tokenizer and a task tokenize its pages once.
 */
export class TokenizedPagesCache {
  #entries = new Map<
    string,
    Promise<{ documents: number[][]; fetched: Awaited<ReturnType<typeof fetchTaskDocuments>> }>
  >();
  /** How many times documents were actually tokenized (for tests and logs). */
  tokenizations = 0;

  get(
    key: string,
    make: () => Promise<{ documents: number[][]; fetched: Awaited<ReturnType<typeof fetchTaskDocuments>> }>,
  ) {
    if (!this.#entries.has(key)) {
      const p = make();
      this.#entries.set(key, p);
      p.catch(() => this.#entries.delete(key));
    }
    return this.#entries.get(key)!;
  }
}

/** Options for `prepareEvalData`. */
export interface PrepareOptions {
  client: DatasetsServerClient;
  tokenizer: TextTokenizer;
  tasks: readonly TaskSpec[];
  sequenceLength: number;
  seed: Uint8Array;
  block?: number;
  blockHash?: string;
  cache?: TokenizedPagesCache;
  /** Told after each page a task fetches (for progress). */
  onPage?: (taskId: string, fetched: number, wanted: number) => void;
}

/** Fetches, tokenizes and packs every task. */
export async function prepareEvalData(o: PrepareOptions): Promise<{ tasks: TaskData[]; manifest: EvalManifest }> {
  const cache = o.cache ?? new TokenizedPagesCache();
  const tasks: TaskData[] = [];
  for (const task of o.tasks) {
    const dataset = DATASETS[task.dataset];
    if (!dataset) throw new RangeError(`task ${task.id}: unknown dataset ${task.dataset}`);
    const key = JSON.stringify([task.id, task.dataset, task.pages, toHex(o.seed), o.tokenizer.name]);
    const { documents, fetched } = await cache.get(key, async () => {
      const fetched = await fetchTaskDocuments(o.client, dataset, {
        seed: o.seed,
        taskId: task.id,
        pages: task.pages,
        onPage: (fetched, wanted) => o.onPage?.(task.id, fetched, wanted),
      });
      cache.tokenizations++;
      return { documents: tokenizeDocuments(o.tokenizer, fetched.documents), fetched };
    });
    const sequences = packSequences(documents, o.sequenceLength);
    const tokens = documents.reduce((n, d) => n + d.length, 0);
    tasks.push({
      task,
      sequences,
      manifest: {
        taskId: task.id,
        dataset: dataset.id,
        hfDataset: dataset.hfDataset,
        split: dataset.split,
        revision: fetched.revision,
        pages: fetched.pages,
        replacedPages: fetched.replaced,
        documents: documents.length,
        tokens,
        sequenceLength: o.sequenceLength,
        sequences: sequences.length,
        droppedTokens: tokens - sequences.length * o.sequenceLength,
        streamSha256: tokenStreamHash(sequences),
      },
    });
  }
  return {
    tasks,
    manifest: {
      seed: toHex(o.seed),
      block: o.block,
      blockHash: o.blockHash,
      tokenizer: o.tokenizer.name,
      tasks: tasks.map((t) => t.manifest),
    },
  };
}
