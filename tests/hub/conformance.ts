/** One conformance suite for every `ModelStore`: upload → commit → download → same hash. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkModel } from "../../eval/mod.ts";
import { writeRandomAdapter } from "../../fixtures/mod.ts";
import { fetchModel, hashModelDir, localModelFileSet, type ModelStore, secureHash } from "../../src/mod.ts";
import { tinyModel } from "../helpers/models.ts";
import { tempDir } from "../helpers/temp.ts";

/** Registers the suite for one store; `make` gives a fresh store per test. */
export function storeConformance(
  name: string,
  make: () => Promise<{ store: ModelStore; close(): Promise<void> }>,
): void {
  const test = (title: string, fn: (store: ModelStore) => Promise<void>) =>
    Deno.test(`${name}: ${title}`, async () => {
      const s = await make();
      try {
        await fn(s.store);
      } finally {
        await s.close();
      }
    });

  test("upload returns a commit; download at it gives the same directory hash", async (store) => {
    const src = await tinyModel("llama-f32-sharded");
    const files = await localModelFileSet(src);
    const sha = await store.upload({ repo: "tester/tiny-llama", dir: src, paths: files });
    assert.match(sha, /^[0-9a-f]{40}$/);
    const rev = await store.revision("tester/tiny-llama", sha);
    assert.equal(rev.commit, sha);
    for (const f of files) {
      assert.equal(rev.files.find((x) => x.path === f)?.size, (await Deno.stat(join(src, f))).size, f);
    }
    assert.equal((await store.revision("tester/tiny-llama", "main")).commit, sha);
    const cache = await tempDir();
    const got = await store.download({ repo: "tester/tiny-llama", commit: sha, paths: files, cacheDir: cache });
    assert.match(got.dir, /models--tester--tiny-llama\/snapshots\/[0-9a-f]{40}$/);
    assert.equal((await hashModelDir(got.dir)).hash, (await hashModelDir(src)).hash);
    assert.equal(got.createdSnapshot, true);
    assert.equal(got.createdBlobs.length, files.length, "every file's blob is new");
    assert.ok(
      got.createdBlobs.every((b) => b.startsWith("models--tester--tiny-llama/blobs/")),
      String(got.createdBlobs),
    );
    assert.equal(got.fetchedBytes, files.reduce((n, f) => n + Deno.statSync(join(src, f)).size, 0));
    const again = await store.download({ repo: "tester/tiny-llama", commit: sha, paths: files, cacheDir: cache });
    assert.deepEqual(
      again,
      { dir: got.dir, createdSnapshot: false, createdBlobs: [], fetchedBytes: 0 },
      "a second download reuses the cache",
    );
  });

  test("a later commit does not change what the old commit downloads", async (store) => {
    const a = await tinyModel("gpt2-f32-untied"), b = await tinyModel("gpt2-bf16-untied");
    const first = await store.upload({ repo: "tester/model", dir: a, paths: await localModelFileSet(a) });
    const second = await store.upload({ repo: "tester/model", dir: b, paths: await localModelFileSet(b) });
    assert.notEqual(second, first);
    const cache = await tempDir();
    const { dir: old } = await store.download({
      repo: "tester/model",
      commit: first,
      paths: await localModelFileSet(a),
      cacheDir: cache,
    });
    const { dir: now } = await store.download({
      repo: "tester/model",
      commit: second,
      paths: await localModelFileSet(b),
      cacheDir: cache,
    });
    assert.equal((await hashModelDir(old)).hash, (await hashModelDir(a)).hash);
    assert.equal((await hashModelDir(now)).hash, (await hashModelDir(b)).hash);
  });

  test("range reads return exactly the requested bytes", async (store) => {
    const src = await tinyModel("qwen2-f32-tied");
    const sha = await store.upload({ repo: "tester/qwen", dir: src, paths: await localModelFileSet(src) });
    const bytes = await Deno.readFile(join(src, "model.safetensors"));
    assert.deepEqual(
      await store.readRange({ repo: "tester/qwen", commit: sha, path: "model.safetensors" }, 0, 8),
      bytes.slice(0, 8),
    );
    assert.deepEqual(
      await store.readRange({ repo: "tester/qwen", commit: sha, path: "model.safetensors" }, 100, 1000),
      bytes.slice(100, 1000),
    );
  });

  test("repos are private by default and visibility can change", async (store) => {
    const src = await tinyModel("gpt2-f32-tied");
    const sha = await store.upload({ repo: "tester/private-one", dir: src, paths: await localModelFileSet(src) });
    assert.equal((await store.revision("tester/private-one", sha)).private, true);
    await store.setVisibility("tester/private-one", false);
    assert.equal((await store.revision("tester/private-one", sha)).private, false);
  });

  test("paths that could escape the cache are refused", async (store) => {
    const src = await tinyModel("gpt2-f32-tied");
    const sha = await store.upload({ repo: "tester/escape", dir: src, paths: await localModelFileSet(src) });
    await assert.rejects(
      () =>
        store.download({ repo: "tester/escape", commit: sha, paths: ["../../etc/passwd"], cacheDir: "/tmp/unused" }),
      /not a plain relative path/,
    );
  });

  test("an adapter goes up and comes back as a validator fetches it: its two files, checked against the base by range, hash-bound", async (store) => {
    const base = await checkModel(await tinyModel("gpt2-f32-untied"));
    const src = join(await tempDir(), "lora");
    const config = JSON.parse(await Deno.readTextFile(join(base.dir, "config.json")));
    await writeRandomAdapter(src, config, { rank: 2, alpha: 4, targets: ["c_attn"], seed: 3 });
    await Deno.writeTextFile(join(src, "README.md"), "a model card, not hashed");
    const files = await localModelFileSet(src);
    assert.deepEqual(files, ["adapter_config.json", "adapter_model.safetensors"]);
    const sha = await store.upload({ repo: "tester/lora", dir: src, paths: files });
    const hotkey = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
    const got = await fetchModel(store, "tester/lora", sha, {
      cacheDir: await tempDir(),
      limits: { maxBytes: 1e6 },
      adapter: { base, limits: { maxRank: 4 } },
      expect: { secureHash: secureHash((await hashModelDir(src)).hash, hotkey), hotkey },
    });
    assert.equal(got.adapter, true);
    assert.equal(got.parameterCount, 2 * 2 * (32 + 96)); // two layers, r·(in + out) for c_attn (32 → 96)
    await assert.rejects(
      () =>
        fetchModel(store, "tester/lora", sha, { cacheDir: "/tmp/unused", adapter: { base, limits: { maxRank: 1 } } }),
      /r = 2 exceeds the competition's maximum rank 1/,
    );
  });
}
