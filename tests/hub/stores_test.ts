import assert from "node:assert/strict";
import { join } from "node:path";
import {
  fetchModel,
  hashModelDir,
  HfModelStore,
  HttpError,
  localModelFileSet,
  LocalModelStore,
  secureHash,
} from "../../src/mod.ts";
import { ModelRejected } from "../../eval/mod.ts";
import { assemble, encodeSafetensors, QUALITY_CONFIG } from "../../fixtures/mod.ts";
import { startHub } from "../standins/hub.ts";
import { tinyModel } from "../helpers/models.ts";
import { tempDir } from "../helpers/temp.ts";
import { storeConformance } from "./conformance.ts";

const TOKEN = "hf_test_token";
const noWait = { attempts: 4, sleep: () => Promise.resolve() };

storeConformance(
  "local store",
  async () => ({ store: new LocalModelStore(await tempDir()), close: () => Promise.resolve() }),
);
storeConformance("hugging face (loopback hub)", () => {
  const h = startHub(TOKEN);
  return Promise.resolve({
    store: new HfModelStore({ hubUrl: h.url, accessToken: TOKEN, retry: noWait, stallMs: 2000 }),
    close: h.close,
  });
});

/** A hub with one uploaded tiny model. */
async function hubWithModel() {
  const h = startHub(TOKEN);
  const store = new HfModelStore({ hubUrl: h.url, accessToken: TOKEN, retry: noWait, stallMs: 500 });
  const src = await tinyModel("llama-f32-sharded");
  const files = await localModelFileSet(src);
  const sha = await store.upload({ repo: "tester/m", dir: src, paths: files });
  return { h, store, src, files, sha };
}

const rejectedFor = (code: string, pattern: RegExp) => (e: unknown) =>
  e instanceof ModelRejected && e.code === code && pattern.test(e.message);

Deno.test("fetchModel() checks headers by range, downloads the file set, and verifies the hotkey-bound hash", async () => {
  const { h, store, src, sha } = await hubWithModel();
  try {
    const { hash } = await hashModelDir(src);
    const hotkey = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
    const got = await fetchModel(store, "tester/m", sha, {
      cacheDir: await tempDir(),
      expect: { secureHash: secureHash(hash, hotkey), hotkey },
    });
    assert.equal(got.hash, hash);
    assert.equal(got.architecture, "LlamaForCausalLM");
    assert.ok(got.parameterCount > 0);
    await assert.rejects(
      () =>
        fetchModel(store, "tester/m", sha, {
          cacheDir: join(got.dir, "..", "..", "..", "other"),
          expect: { secureHash: secureHash(hash, hotkey), hotkey: "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty" },
        }),
      rejectedFor("config", /do not match the committed hash/),
    );
  } finally {
    await h.close();
  }
});

Deno.test("an oversized repo is refused before any weight byte is downloaded", async () => {
  const { h, store, sha } = await hubWithModel();
  try {
    const cacheDir = await tempDir();
    await assert.rejects(
      () => fetchModel(store, "tester/m", sha, { cacheDir, limits: { maxBytes: 1000 } }),
      rejectedFor("limits", /over the cap 1000; not downloaded/),
    );
    assert.equal([...h.hub.served.keys()].filter((p) => p.endsWith(".safetensors")).length, 0);
  } finally {
    await h.close();
  }
});

Deno.test("a hostile safetensors header, a missing config.json and a traversal shard name are refused", async () => {
  const h = startHub(TOKEN);
  const store = new HfModelStore({ hubUrl: h.url, accessToken: TOKEN, retry: noWait });
  const cacheDir = await tempDir();
  try {
    const config = new TextEncoder().encode(JSON.stringify(QUALITY_CONFIG));
    const lying = encodeSafetensors([{ name: "x", shape: [4096], data: new Float32Array(4096) }]);
    new DataView(lying.buffer).setBigUint64(0, 1n << 40n, true); // header length far beyond the file
    const hostile = h.hub.seed("evil/header", { "config.json": config, "model.safetensors": lying });
    await assert.rejects(
      () => fetchModel(store, "evil/header", hostile, { cacheDir }),
      rejectedFor("safetensors", /header length \d+ exceeds/),
    );
    // The client probes 1 byte for the size, then the range: 9 bytes of a 16 KB file.
    assert.ok((h.hub.served.get("model.safetensors") ?? 0) <= 9, `${h.hub.served.get("model.safetensors")} bytes read`);

    const noConfig = h.hub.seed("evil/noconfig", {
      "model.safetensors": encodeSafetensors([{ name: "x", shape: [1], data: new Float32Array(1) }]),
    });
    await assert.rejects(
      () => fetchModel(store, "evil/noconfig", noConfig, { cacheDir }),
      rejectedFor("config", /config.json is missing/),
    );

    const index = new TextEncoder().encode(
      JSON.stringify({ weight_map: { "lm_head.weight": "../../outside.safetensors" } }),
    );
    const traversal = h.hub.seed("evil/traversal", { "config.json": config, "model.safetensors.index.json": index });
    await assert.rejects(
      () => fetchModel(store, "evil/traversal", traversal, { cacheDir }),
      rejectedFor("safetensors", /not a plain .safetensors file name/), // the same code and reason as a local model
    );

    const wrongShape = h.hub.seed("evil/shape", {
      "config.json": config,
      "model.safetensors": assemble({
        "transformer.wte.weight": { dtype: "F32", shape: [2, 2], data_offsets: [0, 16] },
      }, [new Uint8Array(16)]),
    });
    await assert.rejects(
      () => fetchModel(store, "evil/shape", wrongShape, { cacheDir }),
      rejectedFor("tensors", /transformer.wte.weight/),
    );
  } finally {
    await h.close();
  }
});

Deno.test("hub faults: 429/5xx, truncated and slow replies are retried; 401 and 404 are reported", async () => {
  const { h, sha, files } = await hubWithModel();
  const store = new HfModelStore({
    hubUrl: h.url,
    accessToken: TOKEN,
    retry: { attempts: 6, sleep: () => Promise.resolve() },
    stallMs: 500,
  });
  try {
    h.hub.faults.push({ kind: "status", status: 429 }, { kind: "status", status: 503 }, {
      kind: "truncate",
      prefix: "/api/models",
    }, { kind: "slow", ms: 1200, prefix: "/api/models" });
    assert.equal((await store.revision("tester/m", sha)).commit, sha);
    assert.equal(h.hub.faults.length, 0);

    const anonymous = new HfModelStore({ hubUrl: h.url, retry: noWait });
    await assert.rejects(
      () => anonymous.revision("tester/m", sha),
      (e: unknown) => e instanceof HttpError && e.status === 404,
    ); // private: hidden
    await assert.rejects(
      () => store.revision("tester/nothing-here", "main"),
      (e: unknown) => e instanceof HttpError && e.status === 404,
    );
    h.hub.faults.push({ kind: "status", status: 401 });
    await assert.rejects(
      () => store.revision("tester/m", sha),
      (e: unknown) => e instanceof HttpError && e.status === 401,
    );
    await assert.rejects(() => anonymous.upload({ repo: "tester/m", dir: ".", paths: files }), /needs a token/);
  } finally {
    await h.close();
  }
});

Deno.test("an interrupted download resumes without fetching completed files again", async () => {
  const { h, sha, files, src } = await hubWithModel();
  try {
    const cache = await tempDir();
    const shards = files.filter((f) => f.endsWith(".safetensors"));
    // The second shard keeps failing: the first download attempt gives up part-way.
    const oneAtATime = new HfModelStore({
      hubUrl: h.url,
      accessToken: TOKEN,
      retry: { attempts: 2, sleep: () => Promise.resolve() },
      maxConcurrentDownloads: 1,
    });
    h.hub.faults.push(
      ...Array(2).fill({ kind: "status", status: 500, prefix: `/tester/m/resolve/${sha}/${shards[1]}` }),
    );
    await assert.rejects(() => oneAtATime.download({ repo: "tester/m", commit: sha, paths: files, cacheDir: cache }));
    const servedBefore = new Map(h.hub.served);
    assert.ok((servedBefore.get(shards[0]) ?? 0) > 0, "the first shard was downloaded");
    const { dir } = await oneAtATime.download({ repo: "tester/m", commit: sha, paths: files, cacheDir: cache });
    assert.equal(h.hub.served.get(shards[0]), servedBefore.get(shards[0]), "the completed shard was not fetched again");
    assert.equal((await hashModelDir(dir)).hash, (await hashModelDir(src)).hash);
  } finally {
    await h.close();
  }
});

Deno.test("local store downloads into a cache given by a relative path (links relative to their directory)", async () => {
  const store = new LocalModelStore(await tempDir());
  const src = await tinyModel("gpt2-f32-tied");
  const files = await localModelFileSet(src);
  const sha = await store.upload({ repo: "tester/rel", dir: src, paths: files });
  const base = await tempDir();
  const cwd = Deno.cwd();
  Deno.chdir(base);
  try {
    const { dir } = await store.download({ repo: "tester/rel", commit: sha, paths: files, cacheDir: "cache" });
    assert.equal((await hashModelDir(dir)).hash, (await hashModelDir(src)).hash);
    await store.download({ repo: "tester/rel", commit: sha, paths: files, cacheDir: "cache" }); // again: already there, no error
  } finally {
    Deno.chdir(cwd);
  }
});
