/**
 * A loopback stand-in for the Hugging Face datasets-server, serving the bundled pages through
 * the same `/rows` and `/size` API, used by tests and by the offline demo. The real Falcon row
 * count (968,000,015) is served by cycling the bundled documents, so the product's real dataset
 * definitions work unchanged. Faults can be queued: error statuses (with Retry-After), slow
 * replies, truncated JSON, and rows missing their text field.
 */
import { Hono } from "hono";

/** One queued fault, consumed by the next matching request. */
export type Fault =
  | { kind: "status"; status: number; retryAfter?: string; path?: string }
  | { kind: "slow"; ms: number; path?: string }
  | { kind: "truncate"; path?: string };

/** Served datasets: Hugging Face id → row source. */
interface ServedDataset {
  textField: string;
  documents: Record<string, unknown>[];
  /** Config → row count. */
  configs: Record<string, number>;
}

/** The stand-in's state: queued faults, offsets whose rows lack text, and a request log. */
export class DatasetsServerStandIn {
  readonly faults: Fault[] = [];
  /** `${dataset}/${config}/${offset}` of pages whose rows come back without the text field. */
  readonly brokenPages = new Set<string>();
  readonly requests: string[] = [];
  /** The Authorization header of each request ("" when absent). */
  readonly authorizations: string[] = [];
  readonly app = new Hono();
  #datasets = new Map<string, ServedDataset>();

  constructor(refinedweb: Record<string, unknown>[], fineweb: Record<string, unknown>[]) {
    this.#datasets.set("tiiuae/falcon-refinedweb", {
      textField: "content",
      documents: refinedweb,
      configs: { default: 968_000_015 },
    });
    const fw = {
      textField: "text",
      documents: fineweb,
      configs: { "CC-MAIN-2024-10": 1_000_000, "CC-MAIN-2024-18": 800_000, "CC-MAIN-2024-22": 50 },
    };
    this.#datasets.set("HuggingFaceFW/fineweb", fw);
    this.#datasets.set("HuggingFaceFW/fineweb-edu-score-2", fw);

    this.app.use("*", async (c, next) => {
      this.requests.push(c.req.url.slice(c.req.url.indexOf(c.req.path)));
      this.authorizations.push(c.req.header("authorization") ?? "");
      const i = this.faults.findIndex((f) => !f.path || f.path === c.req.path);
      const fault = i >= 0 ? this.faults.splice(i, 1)[0] : undefined;
      if (fault?.kind === "status") {
        if (fault.retryAfter !== undefined) c.header("retry-after", fault.retryAfter);
        return c.json({ error: `injected ${fault.status}` }, fault.status as 429);
      }
      if (fault?.kind === "slow") await delay(fault.ms, c.req.raw.signal);
      await next();
      if (fault?.kind === "truncate") {
        const text = await c.res.text();
        c.res = new Response(text.slice(0, Math.floor(text.length / 2)), {
          status: 200,
          headers: { "content-type": "application/json" },
        });
      }
    });
    this.app.get("/size", (c) => {
      const name = c.req.query("dataset") ?? "";
      const d = this.#datasets.get(name);
      if (!d) return c.json({ error: `The dataset does not exist: ${name}` }, 404);
      const splits = Object.entries(d.configs).map(([config, rows]) => ({
        dataset: name,
        config,
        split: "train",
        num_rows: rows,
        num_columns: 6,
        num_bytes_parquet_files: rows * 1000,
        num_bytes_memory: rows * 2000,
      }));
      const total = splits.reduce((n, s) => n + s.num_rows, 0);
      return c.json({
        size: {
          dataset: {
            dataset: name,
            num_rows: total,
            num_bytes_parquet_files: total * 1000,
            num_bytes_memory: total * 2000,
          },
          configs: splits.map(({ split: _, ...s }) => s),
          splits,
        },
        pending: [],
        failed: [],
        partial: false,
      });
    });
    this.app.get("/rows", (c) => {
      const name = c.req.query("dataset") ?? "", config = c.req.query("config") ?? "";
      const offset = Number(c.req.query("offset")), length = Number(c.req.query("length"));
      const d = this.#datasets.get(name);
      if (!d || !(config in d.configs)) return c.json({ error: `Not found: ${name}/${config}` }, 404);
      if (c.req.query("split") !== "train") return c.json({ error: "split must be train" }, 404);
      if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(length) || length < 1 || length > 100) {
        return c.json({ error: "Parameter 'length' must be between 1 and 100, 'offset' non-negative" }, 422);
      }
      const total = d.configs[config];
      const shift = [...config].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 0);
      const broken = this.brokenPages.has(`${name}/${config}/${offset}`);
      const rows = [];
      for (let i = offset; i < Math.min(offset + length, total); i++) {
        const row = { ...d.documents[(i + shift) % d.documents.length] };
        if (broken) delete row[d.textField];
        rows.push({ row_idx: i, row, truncated_cells: [] });
      }
      const features = Object.keys(d.documents[0]).map((n, i) => ({
        feature_idx: i,
        name: n,
        type: { dtype: "string", _type: "Value" },
      }));
      return c.json({ features, rows, num_rows_total: total, num_rows_per_page: 100, partial: false });
    });
  }
}

/** Reads the bundled JSONL pages. */
export async function bundledPages(): Promise<
  { refinedweb: Record<string, unknown>[]; fineweb: Record<string, unknown>[] }
> {
  const read = async (name: string) =>
    (await Deno.readTextFile(new URL(`../../fixtures/data/pages/${name}`, import.meta.url))).split("\n").filter(Boolean)
      .map((l) => JSON.parse(l));
  return { refinedweb: await read("refinedweb.jsonl"), fineweb: await read("fineweb.jsonl") };
}

/** A running stand-in on a loopback port. */
export interface RunningDatasetsServer {
  url: string;
  standIn: DatasetsServerStandIn;
  close(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1 with an OS-chosen port. */
export async function startDatasetsServer(): Promise<RunningDatasetsServer> {
  const { refinedweb, fineweb } = await bundledPages();
  const standIn = new DatasetsServerStandIn(refinedweb, fineweb);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, standIn.app.fetch);
  return { url: `http://127.0.0.1:${server.addr.port}`, standIn, close: () => server.shutdown() };
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
