import assert from "node:assert/strict";
import { join } from "node:path";
import { evictCache, hfToken, localModelFileSet, LocalModelStore } from "../../src/mod.ts";
import { tinyModel } from "../helpers/models.ts";
import { tempDir } from "../helpers/temp.ts";

async function cacheWithThree() {
  const store = new LocalModelStore(await tempDir());
  const cache = await tempDir();
  const refs = [];
  for (
    const [repo, fixture] of [["a/one", "gpt2-f32-tied"], ["b/two", "llama-f32-tied"], ["c/three", "qwen2-f32-tied"]]
  ) {
    const src = await tinyModel(fixture);
    const files = await localModelFileSet(src);
    const commit = await store.upload(repo, src, files);
    await store.download(repo, commit, files, cache);
    refs.push({ repo, commit });
  }
  return { cache, refs };
}

Deno.test("evictCache() removes unreferenced snapshots and their blobs, keeping referenced ones", async () => {
  const { cache, refs } = await cacheWithThree();
  const report = await evictCache(cache, [refs[0], refs[2]]);
  assert.deepEqual(report.removedSnapshots, [join("models--b--two", "snapshots", refs[1].commit)]);
  assert.ok(report.freedBytes > 0);
  const left = [...Deno.readDirSync(join(cache, "models--b--two", "blobs"))];
  assert.equal(left.length, 0, "the evicted model's blobs are gone");
  assert.ok(Deno.statSync(join(cache, "models--a--one", "snapshots", refs[0].commit, "model.safetensors")).isFile);
});

Deno.test("evictCache() honours a byte cap, least recently used first, never a pinned model", async () => {
  const { cache, refs } = await cacheWithThree();
  const report = await evictCache(cache, refs, { maxBytes: 1, pinned: [refs[1]] });
  assert.equal(report.removedSnapshots.length, 2);
  assert.ok(!report.removedSnapshots.some((s) => s.includes("models--b--two")));
  assert.ok(report.remainingBytes > 0);
});

Deno.test("hfToken() reads HF_TOKEN, else the token file", async () => {
  const dir = await tempDir();
  const saved = { token: Deno.env.get("HF_TOKEN"), path: Deno.env.get("HF_TOKEN_PATH") };
  try {
    Deno.env.delete("HF_TOKEN");
    Deno.env.set("HF_TOKEN_PATH", join(dir, "token"));
    assert.equal(await hfToken(), undefined);
    await Deno.writeTextFile(join(dir, "token"), "hf_from_file\n");
    assert.equal(await hfToken(), "hf_from_file");
    Deno.env.set("HF_TOKEN", "hf_from_env");
    assert.equal(await hfToken(), "hf_from_env");
  } finally {
    for (const [k, v] of [["HF_TOKEN", saved.token], ["HF_TOKEN_PATH", saved.path]] as const) {
      v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    }
  }
});
