/**
 * A task's documents for one step: the seeded page plan, each page fetched and checked (every
 * row must carry the dataset's text field as a string). A page that is bad for a lasting reason
 * (missing text, a 4xx, a malformed reply) is recorded and replaced by the plan's next page; a
 * transient failure that outlives its retries fails the call, so validators never diverge over
 * a flaky network.
 */
import type { DatasetDefinition } from "./datasets.ts";
import type { DatasetsServerClient } from "./datasets_server.ts";
import { PagePlanner, type PageRef } from "./page_plan.ts";
import { isTransient } from "./retry.ts";

/** The documents and how they were obtained. */
export interface TaskDocuments {
  documents: string[];
  pages: PageRef[];
  replaced: { page: PageRef; reason: string }[];
}

/** Most replacements per requested page before giving up. */
const MAX_REPLACEMENTS_PER_PAGE = 2;

/** Fetches `pages` pages of `dataset` for `taskId` under `seed`. */
export async function fetchTaskDocuments(
  client: DatasetsServerClient,
  dataset: DatasetDefinition,
  seed: Uint8Array,
  taskId: string,
  pages: number,
): Promise<TaskDocuments> {
  const sizes = dataset.configs.kind === "from-size" ? await client.size(dataset.hfDataset, dataset.split) : undefined;
  const planner = new PagePlanner(seed, taskId, dataset, sizes);
  const out: TaskDocuments = { documents: [], pages: [], replaced: [] };
  while (out.pages.length < pages) {
    if (out.replaced.length > pages * MAX_REPLACEMENTS_PER_PAGE) {
      throw new Error(
        `task ${taskId}: ${out.replaced.length} bad pages of ${dataset.hfDataset}, last: ${
          out.replaced.at(-1)!.reason
        }`,
      );
    }
    const page = planner.next();
    try {
      const rows = await client.rows(dataset.hfDataset, page.config, dataset.split, page.offset, page.length);
      const texts = rows.map((r) => {
        const text = r.row[dataset.textField];
        if (typeof text !== "string") throw new TypeError(`row ${r.row_idx} has no "${dataset.textField}" text`);
        if (r.truncated_cells.includes(dataset.textField)) {
          throw new TypeError(`row ${r.row_idx}: the server truncated "${dataset.textField}"`);
        }
        return text;
      });
      out.documents.push(...texts);
      out.pages.push(page);
    } catch (e) {
      if (isTransient(e)) throw e;
      out.replaced.push({ page, reason: (e as Error).message });
    }
  }
  return out;
}
