/**
 * The embedded datasets-server (src/data/bundled_datasets_server.ts) wrapped with the failures
 * the real service shows, for tests (dataset-viewer `libapi/exceptions.py`,
 * `services/rows/routes/rows.py`):
 * - queued faults: an error status with any headers (`X-Error-Code: ResponseNotReady`, the IETF
 *   `RateLimit` pair, `Retry-After`), slow replies, truncated JSON;
 * - pages that are too big to serve: `500 TooBigContentError` ("Rows from parquet row groups are
 *   too big to be read"), every time, as a lasting property of the page;
 * - pages whose rows lack the text field;
 * - a dataset revision that can change between requests (`X-Revision`).
 * Every request and its Authorization header are logged.
 */
import { Hono } from "hono";
import {
  bundledDatasets,
  datasetsServerApp,
  type RunningDatasetsServer,
  startDatasetsServer as startServer,
} from "../../src/mod.ts";

/** One queued fault, consumed by the next matching request. */
export type Fault =
  | {
    kind: "status";
    status: number;
    code?: string;
    headers?: Record<string, string>;
    retryAfter?: string;
    path?: string;
  }
  | { kind: "slow"; ms: number; path?: string }
  | { kind: "truncate"; path?: string };

/** The stand-in's controls and logs. */
export class DatasetsServerStandIn {
  readonly faults: Fault[] = [];
  /** `${dataset}/${config}/${offset}` of pages whose rows come back without the text field. */
  readonly brokenPages = new Set<string>();
  /** `${dataset}/${config}/${offset}` of pages the server refuses as too big (500 TooBigContentError). */
  readonly tooBigPages = new Set<string>();
  /** Offsets requested per dataset, in order. */
  readonly offsets = new Map<string, number[]>();
  readonly requests: string[] = [];
  /** The Authorization header of each request ("" when absent). */
  readonly authorizations: string[] = [];
  /** Overrides the `X-Revision` each reply for a dataset carries. */
  readonly revisions = new Map<string, string>();
  readonly app = new Hono();

  constructor(inner: Hono, textFields: Map<string, string>) {
    this.app.use("*", async (c, next) => {
      this.requests.push(c.req.url.slice(c.req.url.indexOf(c.req.path)));
      this.authorizations.push(c.req.header("authorization") ?? "");
      const dataset = c.req.query("dataset") ?? "",
        key = `${dataset}/${c.req.query("config")}/${c.req.query("offset")}`;
      if (c.req.path === "/rows") {
        this.offsets.set(dataset, [...(this.offsets.get(dataset) ?? []), Number(c.req.query("offset"))]);
      }
      const i = this.faults.findIndex((f) => !f.path || f.path === c.req.path);
      const fault = i >= 0 ? this.faults.splice(i, 1)[0] : undefined;
      if (fault?.kind === "status") {
        const headers: Record<string, string> = { ...fault.headers };
        if (fault.code) headers["X-Error-Code"] = fault.code;
        if (fault.retryAfter !== undefined) headers["Retry-After"] = fault.retryAfter;
        return c.json({ error: `injected ${fault.status}` }, fault.status as 429, headers);
      }
      if (c.req.path === "/rows" && this.tooBigPages.has(key)) {
        return c.json(
          { error: "Rows from parquet row groups are too big to be read: 313.33 MiB (max=286.10 MiB)" },
          500,
          { "X-Error-Code": "TooBigContentError" },
        );
      }
      if (fault?.kind === "slow") await delay(fault.ms);
      await next();
      if (this.revisions.has(dataset) && c.res.headers.has("x-revision")) {
        c.res.headers.set("x-revision", this.revisions.get(dataset)!);
      }
      if (c.req.path === "/rows" && this.brokenPages.has(key) && c.res.ok) {
        const body = await c.res.json();
        for (const r of body.rows) delete r.row[textFields.get(dataset)!];
        c.res = new Response(JSON.stringify(body), { status: 200, headers: c.res.headers });
      }
      if (fault?.kind === "truncate") {
        const text = await c.res.text();
        c.res = new Response(text.slice(0, Math.floor(text.length / 2)), { status: 200, headers: c.res.headers });
      }
    });
    this.app.all("*", (c) => inner.fetch(c.req.raw));
  }
}

/** A running stand-in. */
export interface RunningStandIn extends RunningDatasetsServer {
  standIn: DatasetsServerStandIn;
}

/** Starts the stand-in on 127.0.0.1 with an OS-chosen port. */
export async function startDatasetsServer(): Promise<RunningStandIn> {
  const datasets = await bundledDatasets();
  const standIn = new DatasetsServerStandIn(
    datasetsServerApp(datasets),
    new Map([...datasets].map(([name, d]) => [name, d.textField])),
  );
  return { ...await startServer(standIn.app), standIn };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
