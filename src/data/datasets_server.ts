/**
 * Client for the Hugging Face datasets-server (dataset viewer) API:
 *   GET {base}/rows?dataset=D&config=C&split=S&offset=O&length=L   (L ≤ 100)
 *   GET {base}/size?dataset=D
 * Every reply is checked before use: a malformed or short reply is an error with a reason, never
 * a silent empty page. Failures are classified the way the service itself classifies them
 * (dataset-viewer `libapi/exceptions.py`, `services/rows/routes/rows.py`), by `X-Error-Code`
 * and status:
 * - transient (retried, honouring `RateLimit`/`Retry-After`): 429, `ResponseNotReady` and the
 *   other codes in TRANSIENT_CODES, any 5xx without a code, timeouts, dropped connections;
 * - lasting for the page (`PageRefused`, the page is replaced by the plan's next one):
 *   `TooBigContentError` ("scan size limit exceeded") and the row-transform codes;
 * - lasting for the dataset (a plain `HttpError`, not transient): every other 4xx or coded 5xx.
 * Replies carry the dataset's git revision in `X-Revision`; validated pages are cached per
 * revision, so a page cached under one revision is never served for another.
 */
import { HttpError, networkError, type RetryOptions, stallGuardedFetch, toldWaitMs, withRetry } from "../http/mod.ts";
import type { PageCache } from "./page_cache.ts";
import type { ConfigSizes } from "./page_plan.ts";

/** The public endpoint. */
export const DEFAULT_DATASETS_SERVER = "https://datasets-server.huggingface.co";

/** Error codes that a later attempt may not meet (the server is busy or still computing). */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  "ResponseNotReady",
  "UnexpectedApiError",
  "AuthCheckHubRequestError",
  "DownloadIndexError",
  "PreviousStepStillProcessingError",
  "LockedDatasetTimeoutError",
  "JobManagerCrashedError",
  "JobManagerExceededMaximumDurationError",
]);

/** Error codes that are a lasting property of the requested rows. */
export const PAGE_CODES: ReadonlySet<string> = new Set([
  "TooBigContentError",
  "TransformRowsProcessingError",
  "RowsPostProcessingError",
]);

/** A page that cannot be used for a reason in the page itself; every validator replaces it the same way. */
export class PageRefused extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = "PageRefused";
  }
}

/** One row as the API returns it. */
export interface ApiRow {
  row_idx: number;
  row: Record<string, unknown>;
  truncated_cells: string[];
}

/** Checked rows and the dataset revision they came from (`X-Revision`; undefined if the server sent none). */
export interface RowsPage {
  rows: ApiRow[];
  revision?: string;
}

/** Row counts per config and the dataset revision they describe. */
export interface DatasetSize {
  configs: ConfigSizes;
  revision?: string;
}

/** Client settings; `fetch` is injectable. */
export interface DatasetsServerOptions {
  baseUrl?: string;
  /** Sent as a bearer token when set (the caller resolves it, see hub's `hfToken`). */
  token?: string;
  /** A request fails when no bytes arrive for this long (default 30 s). */
  stallMs?: number;
  retry?: RetryOptions;
  cache?: PageCache;
  fetch?: typeof fetch;
}

/** The datasets-server client. */
export class DatasetsServerClient {
  readonly baseUrl: string;
  #fetch: typeof fetch;

  constructor(readonly options: DatasetsServerOptions = {}) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_DATASETS_SERVER).replace(/\/$/, "");
    this.#fetch = stallGuardedFetch(options.fetch ?? fetch, options.stallMs ?? 30_000);
  }

  /**
   * `length` rows from `offset`, checked: consecutive row_idx, a row object each, nothing missing.
   * With `expectRevision`, a cached page of that revision is used, and a reply from another
   * revision is a transient error (the dataset changed under the task).
   */
  async rows(
    dataset: string,
    config: string,
    split: string,
    offset: number,
    length: number,
    expectRevision?: string,
  ): Promise<RowsPage> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isInteger(length) || length < 1 || length > 100) {
      throw new RangeError(`rows: offset ${offset} / length ${length} out of range (length 1–100)`);
    }
    const key = (revision: string) => ["rows", dataset, revision, config, split, offset, length];
    if (expectRevision) {
      const cached = await this.options.cache?.get<ApiRow[]>(key(expectRevision));
      if (cached) return { rows: cached, revision: expectRevision };
    }
    const where = `${dataset}/${config}/${split} @${offset}`;
    const { body, revision } = await this.#getJson("/rows", {
      dataset,
      config,
      split,
      offset: String(offset),
      length: String(length),
    });
    if (expectRevision && revision && revision !== expectRevision) {
      throw new HttpError(200, `/rows ${where}: dataset revision changed from ${expectRevision} to ${revision}`, {
        transient: true,
        code: "RevisionChanged",
      });
    }
    const rows = checkRows(body, offset, length, where);
    if (revision) await this.options.cache?.set(key(revision), rows);
    return { rows, revision };
  }

  /** Row counts per config of `split`, from `/size`. */
  async size(dataset: string, split = "train"): Promise<DatasetSize> {
    const { body, revision } = await this.#getJson("/size", { dataset });
    const splits = (body as { size?: { splits?: unknown } })?.size?.splits;
    if (!Array.isArray(splits)) throw new SyntaxError(`/size for ${dataset}: reply has no size.splits array`);
    const configs: ConfigSizes = [];
    for (const s of splits) {
      if (
        typeof s?.config !== "string" || typeof s?.split !== "string" || !Number.isSafeInteger(s?.num_rows) ||
        s.num_rows < 0
      ) {
        throw new SyntaxError(`/size for ${dataset}: malformed split entry ${JSON.stringify(s).slice(0, 200)}`);
      }
      if (s.split === split) configs.push({ config: s.config, rows: s.num_rows });
    }
    return { configs, revision };
  }

  async #getJson(path: string, params: Record<string, string>): Promise<{ body: unknown; revision?: string }> {
    const url = `${this.baseUrl}${path}?${new URLSearchParams(params)}`;
    const what = `GET ${path} (${params.dataset}${params.offset ? ` @${params.offset}` : ""})`;
    return await withRetry(async () => {
      const headers: Record<string, string> = { accept: "application/json" };
      if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
      let res: Response, text: string;
      try {
        res = await this.#fetch(url, { headers });
        text = await res.text();
      } catch (e) {
        throw networkError(what, e);
      }
      if (!res.ok) throw refusal(what, res, text);
      try {
        return { body: JSON.parse(text), revision: res.headers.get("x-revision") ?? undefined };
      } catch {
        // A cut-off body is usually a dropped connection: worth another try.
        throw new HttpError(res.status, `${what} returned malformed JSON (${text.length} bytes)`, { transient: true });
      }
    }, this.options.retry);
  }
}

/** A non-OK reply, classified by status and `X-Error-Code`. */
function refusal(what: string, res: Response, text: string): Error {
  const code = res.headers.get("x-error-code") ?? undefined;
  const message = `${what} returned ${res.status}${code ? ` ${code}` : ""}: ${text.slice(0, 200)}`;
  if (code && PAGE_CODES.has(code)) return new PageRefused(code, message);
  const transient = res.status === 429 || (res.status >= 500 && (!code || TRANSIENT_CODES.has(code)));
  return new HttpError(res.status, message, {
    transient,
    waitMs: transient ? toldWaitMs(res.status, res.headers) : undefined,
    code,
  });
}

function checkRows(body: unknown, offset: number, length: number, where: string): ApiRow[] {
  const bad = (message: string) => new PageRefused("MalformedRows", `/rows ${where}: ${message}`);
  const reply = body as { rows?: unknown; num_rows_total?: unknown };
  if (!Array.isArray(reply?.rows)) throw bad("reply has no rows array");
  const total = reply.num_rows_total;
  if (!Number.isSafeInteger(total)) throw bad("reply has no num_rows_total");
  const expected = Math.max(0, Math.min(length, (total as number) - offset));
  if (reply.rows.length !== expected) throw bad(`got ${reply.rows.length} rows, expected ${expected}`);
  return reply.rows.map((r: ApiRow, i: number) => {
    if (r?.row_idx !== offset + i) throw bad(`row ${i} has row_idx ${r?.row_idx}, expected ${offset + i}`);
    if (typeof r.row !== "object" || r.row === null || Array.isArray(r.row)) {
      throw bad(`row ${offset + i} has no row object`);
    }
    const truncated = Array.isArray(r.truncated_cells) ? r.truncated_cells.filter((c) => typeof c === "string") : [];
    return { row_idx: r.row_idx, row: r.row, truncated_cells: truncated };
  });
}
