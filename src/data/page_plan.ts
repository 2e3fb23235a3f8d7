/**
 * Which pages a task evaluates on, from the seed alone (plus the dataset's `/size` listing for
 * datasets that choose a config). One stream per task, labelled with the task id; per page, in
 * order:
 *   fixed config:    offset = uniform(rows − pageRows + 1)                 (any row)
 *   from /size:      config = configs[uniform(#configs)] (configs sorted by name, train split,
 *                    at least pageRows rows); offset = uniform(n) · pageRows, where
 *                    n = ⌊rows / pageRows⌋, or, for a dataset whose server caps offsets at M
 *                    (datasets.ts SERVER_LIMITS), n = min(⌊rows / pageRows⌋, ⌊M / pageRows⌋ + 1)
 *   fixed config with a cap M: offset = uniform(min(rows − pageRows, M) + 1)
 * A page that cannot be fetched for a non-transient reason is replaced by the next page of the
 * same stream, so every validator that sees the same failure picks the same replacement.
 */
import type { DatasetDefinition } from "./datasets.ts";
import { SeededStream } from "./seeded_random.ts";

/** One page: `length` consecutive rows of a config. */
export interface PageRef {
  config: string;
  offset: number;
  length: number;
}

/** Rows per config of the dataset's split (from `/size`). */
export type ConfigSizes = { config: string; rows: number }[];

/** Draws pages one at a time, in plan order. */
export class PagePlanner {
  #stream: SeededStream;
  #configs: ConfigSizes;

  constructor(seed: Uint8Array, taskId: string, readonly dataset: DatasetDefinition, sizes?: ConfigSizes) {
    this.#stream = new SeededStream(seed, taskId);
    if (dataset.configs.kind === "fixed") {
      this.#configs = [{ config: dataset.configs.config, rows: dataset.configs.rows }];
    } else {
      if (!sizes) throw new TypeError(`dataset ${dataset.id} chooses its config from /size, but no sizes were given`);
      this.#configs = sizes.filter((c) => c.rows >= dataset.pageRows).sort((
        a,
        b,
      ) => (a.config < b.config ? -1 : a.config > b.config ? 1 : 0));
      if (this.#configs.length === 0) {
        throw new RangeError(`dataset ${dataset.id} has no config with at least ${dataset.pageRows} rows`);
      }
    }
  }

  /** The next page of the plan. */
  next(): PageRef {
    const rows = this.dataset.pageRows;
    const cap = this.dataset.maxOffset ?? Infinity;
    if (this.dataset.configs.kind === "fixed") {
      const { config, rows: total } = this.#configs[0];
      return { config, offset: this.#stream.uniform(Math.min(total - rows, cap) + 1), length: rows };
    }
    const { config, rows: total } = this.#configs[this.#stream.uniform(this.#configs.length)];
    const pages = Math.min(Math.floor(total / rows), Math.floor(cap / rows) + 1);
    return { config, offset: this.#stream.uniform(pages) * rows, length: rows };
  }

  /** The first `n` pages. */
  take(n: number): PageRef[] {
    return Array.from({ length: n }, () => this.next());
  }
}
