import assert from "node:assert/strict";
import {
  DATASETS,
  DatasetsServerClient,
  fetchTaskDocuments,
  HttpError,
  loadTokenizer,
  PageCache,
  PagePlanner,
  prepareEvalData,
  seedFromHex,
  TokenizedPagesCache,
} from "../../src/mod.ts";
import { startDatasetsServer } from "../standins/datasets_server.ts";
import { tempDir } from "../helpers/temp.ts";

const SEED = seedFromHex("55".repeat(32));
const TASKS = [{ id: "falcon", dataset: "falcon", pages: 2, weight: 0.5 }, {
  id: "fineweb",
  dataset: "fineweb",
  pages: 2,
  weight: 0.5,
}];
const noWait = { attempts: 4, sleep: () => Promise.resolve() };

Deno.test("the same seed gives byte-identical packed streams across runs, restarts and cache states", async () => {
  const s = await startDatasetsServer();
  try {
    const cacheDir = await tempDir();
    const tokenizer = await loadTokenizer("gpt2", { cacheDir });
    const run = async (cache?: PageCache, seed = SEED) =>
      (await prepareEvalData({
        client: new DatasetsServerClient({ baseUrl: s.url, cache, retry: noWait }),
        tokenizer,
        tasks: TASKS,
        sequenceLength: 256,
        seed,
      })).manifest;
    const pageCache = new PageCache(await tempDir());
    const cold = await run(pageCache);
    const warm = await run(pageCache); // a "restart": new client, pages from the disk cache
    const uncached = await run();
    assert.deepEqual(warm, cold);
    assert.deepEqual(uncached, cold);
    assert.ok(cold.tasks.every((t) => t.sequences > 0 && t.streamSha256.length === 64));
    assert.ok(cold.tasks.every((t) => /^[0-9a-f]{40}$/.test(t.revision ?? "")), "the manifest records the revision");
    const other = await run(undefined, seedFromHex("56".repeat(32)));
    assert.notDeepEqual(other.tasks.map((t) => t.pages), cold.tasks.map((t) => t.pages));
    assert.notEqual(other.tasks[0].streamSha256, cold.tasks[0].streamSha256);
  } finally {
    await s.close();
  }
});

Deno.test("a page whose rows lack the text field is replaced by the plan's next page, with the reason", async () => {
  const s = await startDatasetsServer();
  try {
    const client = new DatasetsServerClient({ baseUrl: s.url, retry: noWait });
    const [first, second, third] = new PagePlanner(SEED, "falcon", DATASETS.falcon).take(3);
    s.standIn.brokenPages.add(`tiiuae/falcon-refinedweb/default/${first.offset}`);
    const got = await fetchTaskDocuments(client, DATASETS.falcon, { seed: SEED, taskId: "falcon", pages: 2 });
    assert.deepEqual(got.pages, [second, third]);
    assert.equal(got.replaced.length, 1);
    assert.deepEqual(got.replaced[0].page, first);
    assert.match(got.replaced[0].reason, /has no "content" text/);
    assert.equal(got.documents.length, 200);
  } finally {
    await s.close();
  }
});

Deno.test("transient failures mid-task are retried; a lasting outage fails the call instead of changing pages", async () => {
  const s = await startDatasetsServer();
  try {
    const client = new DatasetsServerClient({ baseUrl: s.url, retry: noWait });
    s.standIn.faults.push({ kind: "status", status: 502, path: "/rows" }, { kind: "truncate", path: "/rows" });
    const ok = await fetchTaskDocuments(client, DATASETS.falcon, { seed: SEED, taskId: "falcon", pages: 2 });
    assert.deepEqual(ok.replaced, []);
    assert.deepEqual(ok.pages, new PagePlanner(SEED, "falcon", DATASETS.falcon).take(2));
    s.standIn.faults.push(...Array(4).fill({ kind: "status", status: 503, path: "/rows" }));
    await assert.rejects(
      () => fetchTaskDocuments(client, DATASETS.falcon, { seed: SEED, taskId: "falcon", pages: 2 }),
      /returned 503/,
    );
  } finally {
    await s.close();
  }
});

Deno.test("TokenizedPagesCache tokenizes a task's pages once per tokenizer across competitions", async () => {
  const s = await startDatasetsServer();
  try {
    const cacheDir = await tempDir();
    const client = new DatasetsServerClient({ baseUrl: s.url, retry: noWait });
    const cache = new TokenizedPagesCache();
    const gpt2 = await loadTokenizer("gpt2", { cacheDir });
    const a = await prepareEvalData({
      client,
      tokenizer: gpt2,
      tasks: TASKS.slice(0, 1),
      sequenceLength: 1024,
      seed: SEED,
      cache,
    });
    const b = await prepareEvalData({
      client,
      tokenizer: gpt2,
      tasks: TASKS.slice(0, 1),
      sequenceLength: 128,
      seed: SEED,
      cache,
    });
    assert.equal(cache.tokenizations, 1);
    assert.equal(a.manifest.tasks[0].tokens, b.manifest.tasks[0].tokens);
    assert.equal(b.tasks[0].sequences.length, Math.floor(b.manifest.tasks[0].tokens / 128));
    await prepareEvalData({
      client,
      tokenizer: await loadTokenizer("byte", { cacheDir }),
      tasks: TASKS.slice(0, 1),
      sequenceLength: 128,
      seed: SEED,
      cache,
    });
    assert.equal(cache.tokenizations, 2);
  } finally {
    await s.close();
  }
});

Deno.test("a page the server refuses as too big is replaced the same way in two independent runs", async () => {
  const run = async () => {
    const s = await startDatasetsServer();
    try {
      const [first] = new PagePlanner(SEED, "falcon", DATASETS.falcon).take(1);
      s.standIn.tooBigPages.add(`tiiuae/falcon-refinedweb/default/${first.offset}`);
      const client = new DatasetsServerClient({ baseUrl: s.url, retry: noWait, cache: new PageCache(await tempDir()) });
      const got = await fetchTaskDocuments(client, DATASETS.falcon, { seed: SEED, taskId: "falcon", pages: 2 });
      const asked = s.standIn.offsets.get("tiiuae/falcon-refinedweb")!.filter((o) => o === first.offset).length;
      return { got, asked, first };
    } finally {
      await s.close();
    }
  };
  const a = await run(), b = await run();
  assert.deepEqual(a.got.replaced.map((r) => r.page), [a.first]);
  assert.match(a.got.replaced[0].reason, /500 TooBigContentError/);
  assert.equal(a.asked, 1, "a lasting refusal is asked once, not retried");
  assert.deepEqual({ pages: b.got.pages, replaced: b.got.replaced }, { pages: a.got.pages, replaced: a.got.replaced });
  assert.deepEqual(b.got.documents, a.got.documents);
});

Deno.test("a fineweb-edu task completes against a server that refuses offsets above 1,000,000", async () => {
  const s = await startDatasetsServer();
  try {
    const client = new DatasetsServerClient({ baseUrl: s.url, retry: { attempts: 1 } });
    const tokenizer = await loadTokenizer("byte", { cacheDir: await tempDir() });
    for (const hex of ["01", "02", "03"]) {
      const { manifest } = await prepareEvalData({
        client,
        tokenizer,
        tasks: [{ id: "fineweb-edu", dataset: "fineweb-edu-2", pages: 6, weight: 1 }],
        sequenceLength: 128,
        seed: seedFromHex(hex.repeat(32)),
      });
      assert.equal(manifest.tasks[0].pages.length, 6);
      assert.deepEqual(manifest.tasks[0].replacedPages, []);
    }
    const offsets = s.standIn.offsets.get("HuggingFaceFW/fineweb-edu-score-2")!;
    assert.equal(offsets.length, 18);
    assert.ok(offsets.every((o) => o <= 1_000_000), `offsets ${offsets}`);
    // The same plan without the documented limit would have been refused (the rule is live).
    const size = await client.size("HuggingFaceFW/fineweb-edu-score-2");
    const unlimited = new PagePlanner(seedFromHex("01".repeat(32)), "fineweb-edu", {
      ...DATASETS["fineweb-edu-2"],
      maxOffset: undefined,
    }, size.configs).take(6);
    assert.ok(unlimited.some((p) => p.offset > 1_000_000));
    await assert.rejects(
      () => client.rows("HuggingFaceFW/fineweb-edu-score-2", unlimited[0].config, "train", 1_000_100, 100),
      /returned 429/,
    );
  } finally {
    await s.close();
  }
});

Deno.test("a lasting refusal of the dataset fails the task at once with the server's reason; no page is replaced", async () => {
  const s = await startDatasetsServer();
  try {
    const client = new DatasetsServerClient({ baseUrl: s.url, retry: noWait });
    const missing = { ...DATASETS.falcon, hfDataset: "nobody/nothing" };
    await assert.rejects(
      () => fetchTaskDocuments(client, missing, { seed: SEED, taskId: "falcon", pages: 2 }),
      (e: unknown) => e instanceof HttpError && !e.transient && /401 ExternalUnauthenticatedError/.test(e.message),
    );
    assert.equal(s.standIn.offsets.get("nobody/nothing")?.length, 1, "one request, no replacement pages tried");
  } finally {
    await s.close();
  }
});
