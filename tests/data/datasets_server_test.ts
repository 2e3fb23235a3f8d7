import assert from "node:assert/strict";
import { DatasetsServerClient, HttpError, PageCache, parseRetryAfter } from "../../src/mod.ts";
import { startDatasetsServer } from "../standins/datasets_server.ts";
import { tempDir } from "../helpers/temp.ts";

/** A client whose waits are recorded, not slept, and whose timeout is short. */
function client(url: string, extra: { token?: string; cache?: PageCache; attempts?: number } = {}) {
  const waits: number[] = [];
  const c = new DatasetsServerClient({
    baseUrl: url,
    token: extra.token ?? "",
    timeoutMs: 300,
    cache: extra.cache,
    retry: {
      attempts: extra.attempts ?? 4,
      baseDelayMs: 100,
      sleep: (ms) => (waits.push(ms), Promise.resolve()),
      random: () => 0.5,
    },
  });
  return { c, waits };
}

Deno.test("rows() returns checked rows and sends HF_TOKEN as a bearer token", async () => {
  const s = await startDatasetsServer();
  try {
    const { c } = client(s.url, { token: "hf_secret" });
    const rows = await c.rows("tiiuae/falcon-refinedweb", "default", "train", 500, 3);
    assert.deepEqual(rows.map((r) => r.row_idx), [500, 501, 502]);
    assert.equal(typeof rows[0].row.content, "string");
    assert.deepEqual(Object.keys(rows[0].row).sort(), ["content", "dump", "image_urls", "segment", "timestamp", "url"]);
    assert.equal(s.standIn.authorizations.at(-1), "Bearer hf_secret");
    const last = await c.rows("tiiuae/falcon-refinedweb", "default", "train", 968_000_014, 5);
    assert.equal(last.length, 1, "a page running past the end holds the rows that exist");
  } finally {
    await s.close();
  }
});

Deno.test("size() lists train configs with row counts", async () => {
  const s = await startDatasetsServer();
  try {
    const sizes = await client(s.url).c.size("HuggingFaceFW/fineweb");
    assert.deepEqual(sizes.map((x) => x.config).sort(), ["CC-MAIN-2024-10", "CC-MAIN-2024-18", "CC-MAIN-2024-22"]);
  } finally {
    await s.close();
  }
});

Deno.test("429 with Retry-After waits as asked; 500s back off exponentially; both then succeed", async () => {
  const s = await startDatasetsServer();
  try {
    const { c, waits } = client(s.url);
    s.standIn.faults.push({ kind: "status", status: 429, retryAfter: "2" });
    await c.rows("tiiuae/falcon-refinedweb", "default", "train", 0, 2);
    assert.deepEqual(waits, [2000]);
    waits.length = 0;
    s.standIn.faults.push({ kind: "status", status: 500 }, { kind: "status", status: 503 });
    await c.rows("tiiuae/falcon-refinedweb", "default", "train", 10, 2);
    assert.deepEqual(waits, [50, 100]); // random() = 0.5 × 100·2^(attempt−1)
  } finally {
    await s.close();
  }
});

Deno.test("a slow reply times out and is retried; truncated JSON is retried", async () => {
  const s = await startDatasetsServer();
  try {
    const { c, waits } = client(s.url);
    s.standIn.faults.push({ kind: "slow", ms: 5000 });
    const rows = await c.rows("tiiuae/falcon-refinedweb", "default", "train", 20, 2);
    assert.equal(rows.length, 2);
    assert.equal(waits.length, 1);
    s.standIn.faults.push({ kind: "truncate" });
    assert.equal((await c.rows("tiiuae/falcon-refinedweb", "default", "train", 30, 2)).length, 2);
    assert.equal(waits.length, 2);
  } finally {
    await s.close();
  }
});

Deno.test("a 404 is not retried; persistent 500s give up with the status in the reason", async () => {
  const s = await startDatasetsServer();
  try {
    const { c, waits } = client(s.url, { attempts: 3 });
    await assert.rejects(
      () => c.rows("nobody/nothing", "default", "train", 0, 1),
      (e: unknown) => e instanceof HttpError && e.status === 404,
    );
    assert.deepEqual(waits, []);
    s.standIn.faults.push(...Array(3).fill({ kind: "status", status: 500 }));
    await assert.rejects(() => c.rows("tiiuae/falcon-refinedweb", "default", "train", 0, 1), /returned 500/);
    assert.equal(waits.length, 2);
  } finally {
    await s.close();
  }
});

Deno.test("validated pages are cached on disk and survive a new client", async () => {
  const s = await startDatasetsServer();
  try {
    const cache = new PageCache(await tempDir());
    const first = await client(s.url, { cache }).c.rows("tiiuae/falcon-refinedweb", "default", "train", 40, 3);
    const before = s.standIn.requests.length;
    const again = await client(s.url, { cache }).c.rows("tiiuae/falcon-refinedweb", "default", "train", 40, 3);
    assert.equal(s.standIn.requests.length, before);
    assert.deepEqual(again, first);
  } finally {
    await s.close();
  }
});

Deno.test("replies that lie are refused with a reason", async () => {
  const reply = (body: unknown) => () => Promise.resolve(new Response(JSON.stringify(body), { status: 200 }));
  const fake = (body: unknown) =>
    new DatasetsServerClient({ baseUrl: "http://x", token: "", fetch: reply(body), retry: { attempts: 1 } });
  const row = (i: number) => ({ row_idx: i, row: { content: "x" }, truncated_cells: [] });
  await assert.rejects(() => fake({ rows: [row(0)] }).rows("d", "c", "train", 0, 1), /no num_rows_total/);
  await assert.rejects(() => fake({ num_rows_total: 10 }).rows("d", "c", "train", 0, 1), /no rows array/);
  await assert.rejects(
    () => fake({ rows: [row(0)], num_rows_total: 10 }).rows("d", "c", "train", 0, 2),
    /got 1 rows, expected 2/,
  );
  await assert.rejects(
    () => fake({ rows: [row(5)], num_rows_total: 10 }).rows("d", "c", "train", 0, 1),
    /row_idx 5, expected 0/,
  );
  await assert.rejects(
    () => fake({ rows: [{ row_idx: 0, row: "text" }], num_rows_total: 10 }).rows("d", "c", "train", 0, 1),
    /no row object/,
  );
  await assert.rejects(() => fake({ size: {} }).size("d"), /no size.splits/);
  await assert.rejects(() => fake({ size: { splits: [{ config: 1 }] } }).size("d"), /malformed split entry/);
});

Deno.test("parseRetryAfter() reads seconds and HTTP dates", () => {
  assert.equal(parseRetryAfter("3"), 3000);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6_000);
  assert.equal(parseRetryAfter("soon"), undefined);
  assert.equal(parseRetryAfter(null), undefined);
});
