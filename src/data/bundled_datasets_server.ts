/**
 * The embedded network's datasets-server: the bundled pages (bundled/*.jsonl) served through the
 * same `/rows` and `/size` API as https://datasets-server.huggingface.co, so the product's real
 * client and dataset definitions work unchanged offline (the demo, `--network embedded`). The
 * real datasets' row counts are served by cycling the bundled documents. It behaves as the real
 * service does where the client depends on it (dataset-viewer `services/rows`, `libapi`):
 * - replies carry the dataset's git revision in `X-Revision`;
 * - errors carry `X-Error-Code`: an unknown dataset is 401 `ExternalUnauthenticatedError`
 *   without a token and 404 `ExternalAuthenticatedError` with one, an unknown config 404
 *   `ResponseNotFound`, bad parameters 422 `InvalidParameter`;
 * - `HuggingFaceFW/fineweb-edu-score-2` answers `429 {"error": "too many requests"}` (no code)
 *   for any offset above 1,000,000 (datasets.ts SERVER_LIMITS).
 */
import { createHash } from "node:crypto";
import { Hono } from "hono";
import { SERVER_LIMITS } from "./datasets.ts";

/** One served dataset. */
export interface ServedDataset {
  textField: string;
  documents: Record<string, unknown>[];
  /** Config → row count (train split). */
  configs: Record<string, number>;
  /** The git revision the server reports (default: derived from the name). */
  revision?: string;
}

/** The bundled documents in the RefinedWeb and FineWeb row schemas. */
export async function bundledDocuments(): Promise<
  { refinedweb: Record<string, unknown>[]; fineweb: Record<string, unknown>[] }
> {
  const read = async (name: string) =>
    (await Deno.readTextFile(new URL(`./bundled/${name}`, import.meta.url))).split("\n").filter(Boolean)
      .map((l) => JSON.parse(l));
  return { refinedweb: await read("refinedweb.jsonl"), fineweb: await read("fineweb.jsonl") };
}

/** The datasets the embedded server knows, at the real datasets' row counts. */
export async function bundledDatasets(): Promise<Map<string, ServedDataset>> {
  const { refinedweb, fineweb } = await bundledDocuments();
  return new Map<string, ServedDataset>([
    ["tiiuae/falcon-refinedweb", { textField: "content", documents: refinedweb, configs: { default: 968_000_015 } }],
    ["HuggingFaceFW/fineweb", {
      textField: "text",
      documents: fineweb,
      configs: { "CC-MAIN-2024-10": 1_000_000, "CC-MAIN-2024-18": 800_000, "CC-MAIN-2024-22": 50 },
    }],
    ["HuggingFaceFW/fineweb-edu-score-2", {
      textField: "text",
      documents: fineweb,
      configs: { "CC-MAIN-2013-20": 10_480_000, "CC-MAIN-2019-04": 31_000_000, "CC-MAIN-2024-10": 57_000_000 },
    }],
  ]);
}

/** The API over `datasets`. */
export function datasetsServerApp(datasets: Map<string, ServedDataset>): Hono {
  const app = new Hono();
  const revision = (name: string) =>
    datasets.get(name)?.revision ?? createHash("sha1").update(`bundled:${name}`).digest("hex");
  const unknown = (c: { req: { header(n: string): string | undefined } }, name: string) => {
    const message =
      `The dataset does not exist, or is not accessible without authentication (private or gated). Please check the spelling of the dataset name or retry with authentication.`;
    return c.req.header("authorization")
      ? Response.json({ error: message }, { status: 404, headers: { "X-Error-Code": "ExternalAuthenticatedError" } })
      : Response.json({ error: message, dataset: name }, {
        status: 401,
        headers: { "X-Error-Code": "ExternalUnauthenticatedError" },
      });
  };

  app.get("/size", (c) => {
    const name = c.req.query("dataset") ?? "";
    const d = datasets.get(name);
    if (!d) return unknown(c, name);
    const splits = Object.entries(d.configs).map(([config, rows]) => ({
      dataset: name,
      config,
      split: "train",
      num_rows: rows,
      num_columns: Object.keys(d.documents[0]).length,
      num_bytes_parquet_files: rows * 1000,
      num_bytes_memory: rows * 2000,
    }));
    const total = splits.reduce((n, s) => n + s.num_rows, 0);
    return c.json(
      {
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
      },
      200,
      { "X-Revision": revision(name) },
    );
  });

  app.get("/rows", (c) => {
    const name = c.req.query("dataset") ?? "", config = c.req.query("config") ?? "";
    const offset = Number(c.req.query("offset") ?? 0), length = Number(c.req.query("length") ?? 100);
    if (!Number.isInteger(offset) || offset < 0) {
      return c.json({ error: "Parameter 'offset' must be positive" }, 422, { "X-Error-Code": "InvalidParameter" });
    }
    if (!Number.isInteger(length) || length < 0 || length > 100) {
      return c.json({ error: "Parameter 'length' must not be greater than 100" }, 422, {
        "X-Error-Code": "InvalidParameter",
      });
    }
    const limit = SERVER_LIMITS[name];
    if (limit && offset > limit.maxOffset) return c.json({ error: "too many requests" }, 429);
    const d = datasets.get(name);
    if (!d) return unknown(c, name);
    if (!(config in d.configs) || c.req.query("split") !== "train") {
      return c.json({ error: "Not found." }, 404, { "X-Error-Code": "ResponseNotFound" });
    }
    const total = d.configs[config];
    const shift = [...config].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 0);
    const rows = [];
    for (let i = offset; i < Math.min(offset + length, total); i++) {
      rows.push({ row_idx: i, row: { ...d.documents[(i + shift) % d.documents.length] }, truncated_cells: [] });
    }
    const features = Object.keys(d.documents[0]).map((n, i) => ({
      feature_idx: i,
      name: n,
      type: { dtype: "string", _type: "Value" },
    }));
    return c.json({ features, rows, num_rows_total: total, num_rows_per_page: 100, partial: false }, 200, {
      "X-Revision": revision(name),
    });
  });
  return app;
}

/** A running datasets-server on a loopback port. */
export interface RunningDatasetsServer {
  url: string;
  close(): Promise<void>;
}

/** Starts `app` (default: the bundled datasets) on 127.0.0.1 with an OS-chosen port. */
export async function startDatasetsServer(app?: Hono): Promise<RunningDatasetsServer> {
  const served = app ?? datasetsServerApp(await bundledDatasets());
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, served.fetch);
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}
