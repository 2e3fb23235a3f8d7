/**
 * A loopback stand-in for the W&B API, as @wandb/sdk 0.5 uses it: GraphQL (`Viewer`,
 * `UpsertBucket`) and the run's file stream. It records what arrives: the upserted runs and every
 * history row.
 */
import { Hono } from "hono";

/** The stand-in's state. */
export class WandbStandIn {
  readonly app = new Hono();
  readonly runs: Record<string, unknown>[] = [];
  readonly history: Record<string, unknown>[] = [];
  readonly authorizations: string[] = [];
  completed = false;

  constructor() {
    this.app.post("/graphql", async (c) => {
      this.authorizations.push(c.req.header("authorization") ?? "");
      const body = await c.req.json();
      const query: string = body.query ?? "";
      if (query.includes("viewer")) {
        return c.json({ data: { viewer: { id: "v1", entity: "tester", flags: "{}", teams: { edges: [] } } } });
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
      this.authorizations.push(c.req.header("authorization") ?? "");
      const body = await c.req.json();
      for (const line of body.files?.["wandb-history.jsonl"]?.content ?? []) this.history.push(JSON.parse(line));
      if (body.complete) this.completed = true;
      return c.json({ exitcode: null, limits: {} });
    });
  }
}

/** Starts the stand-in on 127.0.0.1. */
export function startWandb(): { url: string; wandb: WandbStandIn; close(): Promise<void> } {
  const w = new WandbStandIn();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, w.app.fetch);
  return { url: `http://127.0.0.1:${server.addr.port}`, wandb: w, close: () => server.shutdown() };
}
