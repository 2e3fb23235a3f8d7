/**
 * The web-text datasets validators draw pages from, as data: where they live on the
 * datasets-server, which field holds the text, and how a config and row offset are chosen.
 */

/** How pages are located in a dataset. */
export interface DatasetDefinition {
  /** Short id used in competition configs. */
  id: string;
  /** Hugging Face dataset repo. */
  hfDataset: string;
  /** Row field holding the document text. */
  textField: string;
  split: string;
  /**
   * `fixed`: one config with a known row count (random offsets over all rows);
   * `from-size`: pick a config from the dataset's `/size` listing, then a page-aligned offset.
   */
  configs: { kind: "fixed"; config: string; rows: number } | { kind: "from-size" };
  /** Rows per page (the datasets-server returns at most 100 per request). */
  pageRows: number;
  /**
   * The largest `offset` the public datasets-server accepts for this dataset, where it enforces
   * one. Page plans stay at or below it, so every validator draws the same pages and none is
   * refused. See SERVER_LIMITS.
   */
  maxOffset?: number;
}

/**
 * Limits the public datasets-server enforces on particular datasets, kept in this one place.
 * - `HuggingFaceFW/fineweb-edu-score-2`: since March 2025 `/rows` answers a hard-coded
 *   `429 {"error": "too many requests"}` for any `offset > 1_000_000`, whatever the config
 *   (huggingface/dataset-viewer PR #3151, `services/rows/src/rows/routes/rows.py`).
 */
export const SERVER_LIMITS: Readonly<Record<string, { maxOffset: number }>> = {
  "HuggingFaceFW/fineweb-edu-score-2": { maxOffset: 1_000_000 },
};

/** Datasets the loaders know by id. */
export const DATASETS: Record<string, DatasetDefinition> = {
  falcon: {
    id: "falcon",
    hfDataset: "tiiuae/falcon-refinedweb",
    textField: "content",
    split: "train",
    configs: { kind: "fixed", config: "default", rows: 968_000_015 },
    pageRows: 100,
  },
  fineweb: {
    id: "fineweb",
    hfDataset: "HuggingFaceFW/fineweb",
    textField: "text",
    split: "train",
    configs: { kind: "from-size" },
    pageRows: 100,
  },
  "fineweb-edu-2": {
    id: "fineweb-edu-2",
    hfDataset: "HuggingFaceFW/fineweb-edu-score-2",
    textField: "text",
    split: "train",
    configs: { kind: "from-size" },
    pageRows: 100,
    maxOffset: SERVER_LIMITS["HuggingFaceFW/fineweb-edu-score-2"].maxOffset,
  },
};
