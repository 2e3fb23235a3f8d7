/**
 * A loopback stand-in for the W&B API, written from wandb/wandb's server-facing client code
 * (wandb-core) and @wandb/sdk 0.5.1's:
 * - `POST /graphql` with HTTP basic auth `api:KEY` (core/internal/api/credentials.go). A key other
 *   than the stand-in's is answered 401 with `{"errors":[{"message":…}]}`, the form wandb-core's
 *   genqlient client surfaces as the message (core/internal/runupserter/runupdateerror.go).
 *   `Viewer` answers `viewer{id entity username flags teams}`; `UpsertBucket` takes `name` (the run
 *   id), `displayName`, `project`, `entity` and `config` as a JSON string
 *   (core/api/graphql/mutation_run.graphql).
 * - `POST /files/{entity}/{project}/{run}/file_stream` (core/internal/filestream/filestream.go):
 *   `files` maps a file name to `{offset, content: [lines]}`. `wandb-history.jsonl` lines are rows
 *   at running offsets; `wandb-summary.json` is the whole summary, re-sent at a fixed offset, of
 *   which the last line counts (filestreamstate.go popSummary); `complete` + `exitcode` end the run.
 *   The reply is a JSON object (only `stopped` is read by wandb-core).
 * It records what arrives per run: upserts, history rows, the latest summary, completion.
 */
import { Hono } from "hono";

/** The stand-in's state. */
export class WandbStandIn {
  readonly app = new Hono();
  readonly runs: Record<string, unknown>[] = [];
  readonly history: Record<string, unknown>[] = [];
  readonly authorizations: string[] = [];
  /** run id → the latest `wandb-summary.json` it sent. */
  readonly summaries: Record<string, Record<string, unknown>> = {};
  /** run ids whose file stream sent `complete`. */
  readonly completedRuns: string[] = [];
  completed = false;

  /** `apiKey`: the one key accepted (default: any key). */
  constructor(readonly apiKey?: string) {
    const refused = (auth: string) => this.apiKey !== undefined && auth !== `Basic ${btoa(`api:${this.apiKey}`)}`;
    this.app.post("/graphql", async (c) => {
      const auth = c.req.header("authorization") ?? "";
      this.authorizations.push(auth);
      if (refused(auth)) return c.json({ errors: [{ message: "user is not logged in" }] }, 401);
      const body = await c.req.json();
      const query: string = body.query ?? "";
      if (query.includes("viewer")) {
        return c.json({
          data: { viewer: { id: "v1", entity: "tester", username: "tester", flags: "{}", teams: { edges: [] } } },
        });
      }
      if (query.includes("upsertBucket")) {
        const v = body.variables ?? {};
        this.runs.push(v);
        return c.json({
          data: {
            upsertBucket: {
              bucket: {
                id: "b1",
                name: v.name ?? "run",
                displayName: v.displayName ?? v.name ?? "run",
                description: "",
                config: v.config ?? "{}",
                sweepName: null,
                project: {
                  id: "p1",
                  name: v.project ?? "uncategorized",
                  entity: { id: "e1", name: v.entity ?? "tester" },
                },
              },
              inserted: true,
            },
          },
        });
      }
      return c.json({ data: {} });
    });
    this.app.post("/files/:entity/:project/:run/file_stream", async (c) => {
      const auth = c.req.header("authorization") ?? "";
      this.authorizations.push(auth);
      if (refused(auth)) return c.json({ errors: [{ message: "user is not logged in" }] }, 401);
      const run = c.req.param("run");
      const body = await c.req.json();
      for (const line of body.files?.["wandb-history.jsonl"]?.content ?? []) {
        this.history.push({ ...JSON.parse(line), _run: run });
      }
      const summary = body.files?.["wandb-summary.json"]?.content ?? [];
      if (summary.length) this.summaries[run] = JSON.parse(summary[summary.length - 1]);
      if (body.complete) {
        this.completed = true;
        this.completedRuns.push(run);
      }
      return c.json({ exitcode: null, limits: {} });
    });
  }
}

/** Starts the stand-in on 127.0.0.1. */
export function startWandb(apiKey?: string): { url: string; wandb: WandbStandIn; close(): Promise<void> } {
  const w = new WandbStandIn(apiKey);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, w.app.fetch);
  return { url: `http://127.0.0.1:${server.addr.port}`, wandb: w, close: () => server.shutdown() };
}
