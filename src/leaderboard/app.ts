/**
 * The leaderboard as a Hono app: JSON under `/api/*` and one page with charts, read-only over
 * the validator's state. Query parameters are validated (400 with a reason), unknown things are
 * 404, responses carry short caching headers, and no CORS headers are sent (same-origin only).
 */
import { Hono } from "hono";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { competitionAt, type Schedule } from "../competitions/mod.ts";
import type { ValidatorState } from "../validator/mod.ts";
import {
  competitionsInForce,
  failedSteps,
  ignoredCommitments,
  latestManifests,
  leaderboard,
  lossSeries,
  uidHistory,
} from "./queries.ts";
import { FAVICON_SVG, PAGE_HTML } from "./page.ts";
import { competitionSummary } from "./summary.ts";

/** Seconds clients may reuse an API answer (the validator updates once per step). */
const MAX_AGE = 5;

/** The loss chart's default window: a week of 12-second blocks (`?since=` overrides it). */
export const SERIES_WINDOW_BLOCKS = 7 * 7200;

/** How many recent failed steps the header looks through for a competition's latest one. */
const RECENT_FAILED_STEPS = 50;

/** Builds the app over a state opened read-only. */
export function leaderboardApp(state: ValidatorState, schedule: Schedule): Hono {
  const app = new Hono();
  const int = (raw: string | undefined, name: string, min: number, max: number): number | string => {
    if (raw === undefined) return `${name} is required`;
    if (!/^\d+$/.test(raw)) return `${name} must be a non-negative integer, got ${JSON.stringify(raw)}`;
    const n = Number(raw);
    return n < min || n > max ? `${name} must be in ${min}..${max}` : n;
  };
  app.use("/api/*", async (c, next) => {
    await next();
    if (c.res.status === 200) c.header("Cache-Control", `public, max-age=${MAX_AGE}`);
    else c.header("Cache-Control", "no-store");
  });

  app.get("/api/health", (c) => {
    const last = state.steps(1)[0]; // the newest step
    return c.json({ ok: true, lastStep: last ? { id: last.id, block: last.block, status: last.status } : null });
  });
  app.get("/api/competitions", (c) => c.json(competitionsInForce(state, schedule)));
  app.get("/api/leaderboard", (c) => {
    const id = int(c.req.query("competition"), "competition", 0, 65535);
    if (typeof id === "string") return c.json({ error: id }, 400);
    const known = schedule.some((e) => e.competitions.some((k) => k.id === id));
    if (!known) return c.json({ error: `competition ${id} is not in the schedule` }, 404);
    const since = c.req.query("since") === undefined
      ? undefined
      : int(c.req.query("since"), "since", 0, Number.MAX_SAFE_INTEGER);
    if (typeof since === "string") return c.json({ error: since }, 400);
    const board = leaderboard(state, id);
    const from = since ?? Math.max(0, (board.step?.block ?? 0) - SERIES_WINDOW_BLOCKS);
    const competition = competitionAt(schedule, board.step?.block ?? 0, id);
    const summary = competitionSummary(board, {
      competition,
      failedSteps: failedSteps(state, RECENT_FAILED_STEPS),
      windows: competition?.kind === "pseudograd" ? state.windows.windows(id) : undefined,
    });
    return c.json({ ...board, summary, series: lossSeries(state, id, from), seriesSince: from });
  });
  app.get("/api/uid/:uid/history", (c) => {
    const uid = int(c.req.param("uid"), "uid", 0, 65535);
    if (typeof uid === "string") return c.json({ error: uid }, 400);
    const history = uidHistory(state, uid);
    if (history.length === 0) return c.json({ error: `uid ${uid} has no evaluations` }, 404);
    return c.json({ uid, history });
  });
  app.get("/api/manifests", (c) => {
    const limit = c.req.query("limit") === undefined ? 5 : int(c.req.query("limit"), "limit", 1, 100);
    if (typeof limit === "string") return c.json({ error: limit }, 400);
    return c.json({ manifests: latestManifests(state, limit) });
  });
  app.get("/api/ignored", (c) => c.json({ ignored: ignoredCommitments(state) }));
  app.get("/api/failed-steps", (c) => {
    const limit = c.req.query("limit") === undefined ? 10 : int(c.req.query("limit"), "limit", 1, 1000);
    if (typeof limit === "string") return c.json({ error: limit }, 400);
    return c.json({ failed: failedSteps(state, limit) });
  });
  app.all("/api/*", (c) => c.json({ error: `no such endpoint: ${c.req.method} ${c.req.path}` }, 404));

  app.get("/assets/chart.js", async (c) => {
    const require = createRequire(import.meta.url);
    // The package's exports map hides dist/; its entry point sits beside the UMD build.
    const body = await Deno.readFile(join(dirname(require.resolve("chart.js")), "chart.umd.min.js"));
    return c.body(body, 200, {
      "Content-Type": "text/javascript; charset=utf-8",
      "Cache-Control": "public, max-age=86400",
    });
  });
  // Browsers ask for /favicon.ico whatever the page links; both names get the same small SVG.
  for (const path of ["/favicon.svg", "/favicon.ico"]) {
    app.get(path, (c) =>
      c.body(FAVICON_SVG, 200, {
        "Content-Type": "image/svg+xml",
        "Cache-Control": "public, max-age=86400",
      }));
  }
  app.get("/", (c) => c.html(PAGE_HTML, 200, { "Cache-Control": "no-cache" }));
  return app;
}
