/**
 * Client for the Hugging Face datasets-server (dataset viewer) API:
 *   GET {base}/rows?dataset=D&config=C&split=S&offset=O&length=L   (L ≤ 100)
 *   GET {base}/size?dataset=D
 * Every reply is checked before use: a malformed or short reply is an error with a reason,
 * never a silent empty page. Transient failures are retried (see retry.ts); validated `/rows`
 * replies are cached on disk.
 */
import { HttpError, parseRetryAfter, type RetryOptions, withRetry } from "./retry.ts";
import type { PageCache } from "./page_cache.ts";
import type { ConfigSizes } from "./page_plan.ts";

/** The public endpoint. */
export const DEFAULT_DATASETS_SERVER = "https://datasets-server.huggingface.co";

/** One row as the API returns it. */
export interface ApiRow {
  row_idx: number;
  row: Record<string, unknown>;
  truncated_cells: string[];
}

/** Client settings; `fetch` is injectable. */
export interface DatasetsServerOptions {
  baseUrl?: string;
  /** Sent as a bearer token when set (default: the HF_TOKEN environment variable). */
  token?: string;
  timeoutMs?: number;
  retry?: RetryOptions;
  cache?: PageCache;
  fetch?: typeof fetch;
}

/** The datasets-server client. */
export class DatasetsServerClient {
  readonly baseUrl: string;
  #token?: string;
  #fetch: typeof fetch;

  constructor(readonly options: DatasetsServerOptions = {}) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_DATASETS_SERVER).replace(/\/$/, "");
    this.#token = options.token ?? Deno.env.get("HF_TOKEN") ?? undefined;
    this.#fetch = options.fetch ?? fetch;
  }

  /** `length` rows from `offset`, checked: consecutive row_idx, a row object each, nothing missing. */
  async rows(dataset: string, config: string, split: string, offset: number, length: number): Promise<ApiRow[]> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isInteger(length) || length < 1 || length > 100) {
      throw new RangeError(`rows: offset ${offset} / length ${length} out of range (length 1–100)`);
    }
    const key = ["rows", dataset, config, split, offset, length];
    const cached = await this.options.cache?.get<ApiRow[]>(key);
    if (cached) return cached;
    const body = await this.#getJson("/rows", {
      dataset,
      config,
      split,
      offset: String(offset),
      length: String(length),
    });
    const rows = checkRows(body, offset, length, `${dataset}/${config}/${split} @${offset}`);
    await this.options.cache?.set(key, rows);
    return rows;
  }

  /** Row counts per config of `split`, from `/size`. */
  async size(dataset: string, split = "train"): Promise<ConfigSizes> {
    const body = await this.#getJson("/size", { dataset }) as { size?: { splits?: unknown } };
    const splits = body?.size?.splits;
    if (!Array.isArray(splits)) throw new SyntaxError(`/size for ${dataset}: reply has no size.splits array`);
    const out: ConfigSizes = [];
    for (const s of splits) {
      if (
        typeof s?.config !== "string" || typeof s?.split !== "string" || !Number.isSafeInteger(s?.num_rows) ||
        s.num_rows < 0
      ) {
        throw new SyntaxError(`/size for ${dataset}: malformed split entry ${JSON.stringify(s).slice(0, 200)}`);
      }
      if (s.split === split) out.push({ config: s.config, rows: s.num_rows });
    }
    return out;
  }

  async #getJson(path: string, params: Record<string, string>): Promise<unknown> {
    const url = `${this.baseUrl}${path}?${new URLSearchParams(params)}`;
    return await withRetry(async () => {
      const headers: Record<string, string> = { accept: "application/json" };
      if (this.#token) headers.authorization = `Bearer ${this.#token}`;
      const timeoutMs = this.options.timeoutMs ?? 30_000;
      let res: Response, text: string;
      try {
        res = await this.#fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
        text = await res.text();
      } catch (e) {
        const timedOut = e instanceof DOMException && e.name === "TimeoutError";
        throw new HttpError(
          0,
          `GET ${path} (${params.dataset}) ${
            timedOut ? `timed out after ${timeoutMs} ms` : `failed: ${(e as Error).message}`
          }`,
          true,
        );
      }
      if (!res.ok) {
        const transient = res.status === 429 || res.status >= 500;
        throw new HttpError(
          res.status,
          `GET ${path} (${params.dataset}) returned ${res.status}: ${text.slice(0, 200)}`,
          transient,
          parseRetryAfter(res.headers.get("retry-after")),
        );
      }
      try {
        return JSON.parse(text);
      } catch {
        // A cut-off body is usually a dropped connection: worth another try.
        throw new HttpError(
          res.status,
          `GET ${path} (${params.dataset}) returned malformed JSON (${text.length} bytes)`,
          true,
        );
      }
    }, this.options.retry);
  }
}

function checkRows(body: unknown, offset: number, length: number, where: string): ApiRow[] {
  const reply = body as { rows?: unknown; num_rows_total?: unknown };
  if (!Array.isArray(reply?.rows)) throw new SyntaxError(`/rows ${where}: reply has no rows array`);
  const total = reply.num_rows_total;
  if (!Number.isSafeInteger(total)) throw new SyntaxError(`/rows ${where}: reply has no num_rows_total`);
  const expected = Math.max(0, Math.min(length, (total as number) - offset));
  if (reply.rows.length !== expected) {
    throw new SyntaxError(`/rows ${where}: got ${reply.rows.length} rows, expected ${expected}`);
  }
  return reply.rows.map((r: ApiRow, i: number) => {
    if (r?.row_idx !== offset + i) {
      throw new SyntaxError(`/rows ${where}: row ${i} has row_idx ${r?.row_idx}, expected ${offset + i}`);
    }
    if (typeof r.row !== "object" || r.row === null || Array.isArray(r.row)) {
      throw new SyntaxError(`/rows ${where}: row ${offset + i} has no row object`);
    }
    const truncated = Array.isArray(r.truncated_cells) ? r.truncated_cells.filter((c) => typeof c === "string") : [];
    return { row_idx: r.row_idx, row: r.row, truncated_cells: truncated };
  });
}
