/**
 * A task's documents for one step: the seeded page plan, each page fetched and checked (every
 * row must carry the dataset's text field as a string, untruncated).
 * - A page refused for a reason in the page itself (`PageRefused`: the server's
 *   `TooBigContentError`, a malformed reply, missing or truncated text) is recorded and replaced
 *   by the plan's next page, so every validator that meets the same page makes the same
 *   replacement.
 * - A transient failure that outlives its retries fails the call, so validators never diverge
 *   over a flaky network.
 * - Anything else is lasting for the dataset and fails the task with the server's reason.
 * The dataset revision is that of the task's first reply (`/size` where the plan needs it, else
 * the first page); cached pages are used only under it.
 */
import type { DatasetDefinition } from "./datasets.ts";
import { type DatasetsServerClient, PageRefused } from "./datasets_server.ts";
import { PagePlanner, type PageRef } from "./page_plan.ts";

/** The documents and how they were obtained. */
export interface TaskDocuments {
  documents: string[];
  pages: PageRef[];
  replaced: { page: PageRef; reason: string }[];
  /** The dataset's git revision on the server, when it said. */
  revision?: string;
}

/** Most replacements per requested page before giving up. */
const MAX_REPLACEMENTS_PER_PAGE = 2;

/** Which pages a task reads: `pages` of them, planned from the step's `seed` and the task's id. */
export interface TaskPages {
  seed: Uint8Array;
  taskId: string;
  pages: number;
  /** Told after each page is fetched (for progress). */
  onPage?: (fetched: number, wanted: number) => void;
}

/** Fetches the task's pages of `dataset`. */
export async function fetchTaskDocuments(
  client: DatasetsServerClient,
  dataset: DatasetDefinition,
  { seed, taskId, pages, onPage }: TaskPages,
): Promise<TaskDocuments> {
  const size = dataset.configs.kind === "from-size" ? await client.size(dataset.hfDataset, dataset.split) : undefined;
  const planner = new PagePlanner(seed, taskId, dataset, size?.configs);
  const out: TaskDocuments = { documents: [], pages: [], replaced: [], revision: size?.revision };
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
      const got = await client.rows(
        dataset.hfDataset,
        page.config,
        dataset.split,
        page.offset,
        page.length,
        out.revision,
      );
      out.revision ??= got.revision;
      const texts = got.rows.map((r) => {
        const text = r.row[dataset.textField];
        if (typeof text !== "string") {
          throw new PageRefused("MissingText", `row ${r.row_idx} has no "${dataset.textField}" text`);
        }
        if (r.truncated_cells.includes(dataset.textField)) {
          throw new PageRefused("TruncatedText", `row ${r.row_idx}: the server truncated "${dataset.textField}"`);
        }
        return text;
      });
      out.documents.push(...texts);
      out.pages.push(page);
      onPage?.(out.pages.length, pages);
    } catch (e) {
      if (!(e instanceof PageRefused)) throw e;
      out.replaced.push({ page, reason: e.message });
    }
  }
  return out;
}
