/**
 * The datasets-server client against the stand-in, which answers as dataset-viewer does
 * (`libapi/exceptions.py` for the X-Error-Code classes, `services/rows/routes/rows.py` for
 * X-Revision and the fineweb-edu-score-2 offset rule) and as the Hub's edge does for rate limits
 * (huggingface_hub `utils/_http.py`: `RateLimit: "api";r=0;t=N`, wait t + 1 s).
 */
import assert from "node:assert/strict";
import {
  DatasetsServerClient,
  HttpError,
  PageCache,
  PageRefused,
  parseRateLimit,
  parseRetryAfter,
  toldWaitMs,
} from "../../src/mod.ts";
import { startDatasetsServer } from "../standins/datasets_server.ts";
import { tempDir } from "../helpers/temp.ts";

const FALCON = "tiiuae/falcon-refinedweb";

/** A client whose waits are recorded, not slept, and whose stall limit is short. */
function client(
  url: string,
  extra: { token?: string; cache?: PageCache; attempts?: number; maxToldWaitMs?: number } = {},
) {
  const waits: number[] = [], lines: string[] = [];
  const c = new DatasetsServerClient({
    baseUrl: url,
    token: extra.token,
    stallMs: 300,
    cache: extra.cache,
    retry: {
      attempts: extra.attempts ?? 4,
      baseDelayMs: 100,
      maxToldWaitMs: extra.maxToldWaitMs,
      sleep: (ms) => (waits.push(ms), Promise.resolve()),
      random: () => 0.5,
      log: (l) => lines.push(l),
    },
  });
  return { c, waits, lines };
}

Deno.test("rows() returns checked rows with the dataset revision, and sends the token as a bearer token", async () => {
  const s = await startDatasetsServer();
  try {
    const { c } = client(s.url, { token: "hf_secret" });
    const page = await c.rows(FALCON, "default", "train", 500, 3);
    assert.deepEqual(page.rows.map((r) => r.row_idx), [500, 501, 502]);
    assert.match(page.revision ?? "", /^[0-9a-f]{40}$/);
    assert.deepEqual(Object.keys(page.rows[0].row).sort(), [
      "content",
      "dump",
      "image_urls",
      "segment",
      "timestamp",
      "url",
    ]);
    assert.equal(s.standIn.authorizations.at(-1), "Bearer hf_secret");
    const last = await c.rows(FALCON, "default", "train", 968_000_014, 5);
    assert.equal(last.rows.length, 1, "a page running past the end holds the rows that exist");
    await client(s.url).c.rows(FALCON, "default", "train", 0, 1);
    assert.equal(s.standIn.authorizations.at(-1), "", "no token, no Authorization header");
  } finally {
    await s.close();
  }
});

Deno.test("size() lists train configs with row counts and the revision", async () => {
  const s = await startDatasetsServer();
  try {
    const size = await client(s.url).c.size("HuggingFaceFW/fineweb");
    assert.deepEqual(size.configs.map((x) => x.config).sort(), [
      "CC-MAIN-2024-10",
      "CC-MAIN-2024-18",
      "CC-MAIN-2024-22",
    ]);
    assert.match(size.revision ?? "", /^[0-9a-f]{40}$/);
  } finally {
    await s.close();
  }
});

Deno.test("429 with only RateLimit/RateLimit-Policy waits t + 1 s; 429 with Retry-After waits as told; both succeed", async () => {
  const s = await startDatasetsServer();
  try {
    const { c, waits, lines } = client(s.url);
    s.standIn.faults.push({
      kind: "status",
      status: 429,
      headers: { RateLimit: '"api";r=0;t=55', "RateLimit-Policy": '"fixed window";"api";q=500;w=300' },
    });
    assert.equal((await c.rows(FALCON, "default", "train", 0, 2)).rows.length, 2);
    assert.deepEqual(waits, [56_000]);
    assert.match(lines[0], /returned 429.*waiting 56 s \(the server asked for 56 s\) before attempt 2 of 4/);
    waits.length = 0;
    s.standIn.faults.push({ kind: "status", status: 429, retryAfter: "7" });
    assert.equal((await c.rows(FALCON, "default", "train", 2, 2)).rows.length, 2);
    assert.deepEqual(waits, [8_000]);
    waits.length = 0;
    s.standIn.faults.push({ kind: "status", status: 500 }, { kind: "status", status: 503 });
    await c.rows(FALCON, "default", "train", 10, 2);
    assert.deepEqual(waits, [50, 100], "without a told wait: backoff, random() = 0.5 × 100·2^(attempt−1)");
  } finally {
    await s.close();
  }
});

Deno.test("a told wait longer than the cap waits the cap, and the log line says so", async () => {
  const s = await startDatasetsServer();
  try {
    const { c, waits, lines } = client(s.url, { maxToldWaitMs: 60_000 });
    s.standIn.faults.push({ kind: "status", status: 429, headers: { RateLimit: '"api";r=0;t=900' } });
    await c.rows(FALCON, "default", "train", 0, 1);
    assert.deepEqual(waits, [60_000]);
    assert.match(lines[0], /asked for 901 s, capped at 60 s/);
  } finally {
    await s.close();
  }
});

Deno.test("X-Error-Code decides: ResponseNotReady is retried, TooBigContentError refuses the page, a missing dataset is final", async () => {
  const s = await startDatasetsServer();
  try {
    const { c, waits } = client(s.url, { attempts: 3, token: "hf_x" });
    s.standIn.faults.push({ kind: "status", status: 500, code: "ResponseNotReady" });
    assert.equal((await c.rows(FALCON, "default", "train", 0, 1)).rows.length, 1);
    assert.equal(waits.length, 1);

    waits.length = 0;
    s.standIn.tooBigPages.add(`${FALCON}/default/700`);
    await assert.rejects(
      () => c.rows(FALCON, "default", "train", 700, 3),
      (e: unknown) =>
        e instanceof PageRefused && e.code === "TooBigContentError" && /too big to be read/.test(e.message),
    );
    assert.deepEqual(waits, [], "a lasting property of the page is not retried");

    await assert.rejects(
      () => c.rows("nobody/nothing", "default", "train", 0, 1),
      (e: unknown) =>
        e instanceof HttpError && e.status === 404 && !e.transient && e.code === "ExternalAuthenticatedError",
    );
    await assert.rejects(
      () => c.rows(FALCON, "no-such-config", "train", 0, 1),
      (e: unknown) => e instanceof HttpError && !e.transient && e.code === "ResponseNotFound",
    );
    assert.deepEqual(waits, []);
    s.standIn.faults.push(...Array(3).fill({ kind: "status", status: 500 }));
    await assert.rejects(() => c.rows(FALCON, "default", "train", 0, 1), /returned 500/);
    assert.equal(waits.length, 2, "an uncoded 500 is transient: retried until attempts run out");
  } finally {
    await s.close();
  }
});

Deno.test("a stalled reply times out and is retried; truncated JSON is retried", async () => {
  const s = await startDatasetsServer();
  try {
    const { c, waits, lines } = client(s.url);
    s.standIn.faults.push({ kind: "slow", ms: 800 });
    assert.equal((await c.rows(FALCON, "default", "train", 20, 2)).rows.length, 2);
    assert.equal(waits.length, 1);
    assert.match(lines[0], /stalled: no bytes for 0.3 s/);
    s.standIn.faults.push({ kind: "truncate" });
    assert.equal((await c.rows(FALCON, "default", "train", 30, 2)).rows.length, 2);
    assert.equal(waits.length, 2);
  } finally {
    await s.close();
  }
});

Deno.test("pages are cached per dataset revision: never served for another revision", async () => {
  const s = await startDatasetsServer();
  try {
    const cache = new PageCache(await tempDir());
    const first = await client(s.url, { cache }).c.rows(FALCON, "default", "train", 40, 3);
    const before = s.standIn.requests.length;
    const again = await client(s.url, { cache }).c.rows(FALCON, "default", "train", 40, 3, first.revision);
    assert.equal(s.standIn.requests.length, before, "same revision: served from the cache");
    assert.deepEqual(again, first);

    const next = "b".repeat(40);
    s.standIn.revisions.set(FALCON, next);
    const fresh = await client(s.url, { cache }).c.rows(FALCON, "default", "train", 40, 3, next);
    assert.equal(s.standIn.requests.length, before + 1, "another revision: fetched again");
    assert.equal(fresh.revision, next);
    await assert.rejects(
      () => client(s.url, { cache }).c.rows(FALCON, "default", "train", 41, 3, first.revision),
      (e: unknown) => e instanceof HttpError && e.transient && e.code === "RevisionChanged",
      "a reply from another revision than the task's is refused",
    );
  } finally {
    await s.close();
  }
});

Deno.test("replies that lie refuse the page with a reason", async () => {
  const reply = (body: unknown) => () => Promise.resolve(new Response(JSON.stringify(body), { status: 200 }));
  const fake = (body: unknown) =>
    new DatasetsServerClient({ baseUrl: "http://x", fetch: reply(body), retry: { attempts: 1 } });
  const row = (i: number) => ({ row_idx: i, row: { content: "x" }, truncated_cells: [] });
  const refused = (pattern: RegExp) => (e: unknown) => e instanceof PageRefused && pattern.test(e.message);
  await assert.rejects(() => fake({ rows: [row(0)] }).rows("d", "c", "train", 0, 1), refused(/no num_rows_total/));
  await assert.rejects(() => fake({ num_rows_total: 10 }).rows("d", "c", "train", 0, 1), refused(/no rows array/));
  await assert.rejects(
    () => fake({ rows: [row(0)], num_rows_total: 10 }).rows("d", "c", "train", 0, 2),
    refused(/got 1 rows, expected 2/),
  );
  await assert.rejects(
    () => fake({ rows: [row(5)], num_rows_total: 10 }).rows("d", "c", "train", 0, 1),
    refused(/row_idx 5/),
  );
  await assert.rejects(
    () => fake({ rows: [{ row_idx: 0, row: "text" }], num_rows_total: 10 }).rows("d", "c", "train", 0, 1),
    refused(/no row object/),
  );
  await assert.rejects(() => fake({ size: {} }).size("d"), /no size.splits/);
  await assert.rejects(() => fake({ size: { splits: [{ config: 1 }] } }).size("d"), /malformed split entry/);
});

Deno.test("parseRetryAfter(), parseRateLimit() and toldWaitMs() read the headers as huggingface_hub does", () => {
  assert.equal(parseRetryAfter("3"), 3000);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6_000);
  assert.equal(parseRetryAfter("soon"), undefined);
  assert.equal(parseRetryAfter(null), undefined);
  // The example in huggingface_hub's parse_ratelimit_headers docstring.
  const h = new Headers({ ratelimit: '"api";r=0;t=55', "ratelimit-policy": '"fixed window";"api";q=500;w=300' });
  assert.deepEqual(parseRateLimit(h), {
    resource: "api",
    remaining: 0,
    resetSeconds: 55,
    limit: 500,
    windowSeconds: 300,
  });
  assert.equal(parseRateLimit(new Headers({ ratelimit: "garbage" })), undefined);
  assert.equal(toldWaitMs(429, h), 56_000);
  // Requests left in the window: the reset is no instruction to wait; Retry-After still is.
  const left = new Headers({ ratelimit: '"api";r=3;t=55', "retry-after": "2" });
  assert.equal(toldWaitMs(429, left), 3_000);
  assert.equal(toldWaitMs(503, new Headers({ "retry-after": "10" })), 11_000);
  assert.equal(toldWaitMs(500, new Headers()), undefined);
});
