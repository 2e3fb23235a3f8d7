import assert from "node:assert/strict";
import {
  DATASETS,
  DatasetsServerClient,
  fetchTaskDocuments,
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
        client: new DatasetsServerClient({ baseUrl: s.url, token: "", cache, retry: noWait }),
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
    const client = new DatasetsServerClient({ baseUrl: s.url, token: "", retry: noWait });
    const [first, second, third] = new PagePlanner(SEED, "falcon", DATASETS.falcon).take(3);
    s.standIn.brokenPages.add(`tiiuae/falcon-refinedweb/default/${first.offset}`);
    const got = await fetchTaskDocuments(client, DATASETS.falcon, SEED, "falcon", 2);
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
    const client = new DatasetsServerClient({ baseUrl: s.url, token: "", retry: noWait });
    s.standIn.faults.push({ kind: "status", status: 502, path: "/rows" }, { kind: "truncate", path: "/rows" });
    const ok = await fetchTaskDocuments(client, DATASETS.falcon, SEED, "falcon", 2);
    assert.deepEqual(ok.replaced, []);
    assert.deepEqual(ok.pages, new PagePlanner(SEED, "falcon", DATASETS.falcon).take(2));
    s.standIn.faults.push(...Array(4).fill({ kind: "status", status: 503, path: "/rows" }));
    await assert.rejects(() => fetchTaskDocuments(client, DATASETS.falcon, SEED, "falcon", 2), /returned 503/);
  } finally {
    await s.close();
  }
});

Deno.test("TokenizedPagesCache tokenizes a task's pages once per tokenizer across competitions", async () => {
  const s = await startDatasetsServer();
  try {
    const cacheDir = await tempDir();
    const client = new DatasetsServerClient({ baseUrl: s.url, token: "", retry: noWait });
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
