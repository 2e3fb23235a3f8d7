/** Eviction of the validator's own downloads from a cache other HF tools may share. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { evictOwnedCache, localModelFileSet, LocalModelStore, type OwnedSnapshot } from "../../src/mod.ts";
import { tinyModel } from "../helpers/models.ts";
import { tempDir } from "../helpers/temp.ts";

/** Three models downloaded by "us" (recorded as owned), plus one placed by another tool. */
async function sharedCache() {
  const store = new LocalModelStore(await tempDir());
  const cache = await tempDir();
  const owned: OwnedSnapshot[] = [];
  const fixtures = [["a/one", "gpt2-f32-tied"], ["b/two", "llama-f32-tied"], ["c/three", "qwen2-f32-tied"]];
  for (const [i, [repo, fixture]] of fixtures.entries()) {
    const src = await tinyModel(fixture);
    const files = await localModelFileSet(src);
    const commit = await store.upload({ repo, dir: src, paths: files });
    const got = await store.download({ repo, commit, paths: files, cacheDir: cache });
    owned.push({ repo, commit, blobs: got.createdBlobs, usedMs: i });
  }
  // Another tool's model, and another tool's second snapshot of b/two sharing b/two's blobs.
  const foreign = join(cache, "models--other--tool");
  await Deno.mkdir(join(foreign, "blobs"), { recursive: true });
  await Deno.writeTextFile(join(foreign, "blobs", "f".repeat(64)), "x".repeat(5000));
  const bTwo = join(cache, "models--b--two", "snapshots");
  const sharing = join(bTwo, "d".repeat(40));
  await Deno.mkdir(sharing, { recursive: true });
  const blob = Deno.readLinkSync(join(bTwo, owned[1].commit, "model.safetensors"));
  await Deno.symlink(blob, join(sharing, "model.safetensors"));
  const bytes = async (o: OwnedSnapshot) => {
    let n = 0;
    for (const b of o.blobs) n += (await Deno.stat(join(cache, b))).size;
    return n;
  };
  return { cache, owned, foreign, sharing, bytes };
}

Deno.test("under its cap, nothing is evicted", async () => {
  const { cache, owned } = await sharedCache();
  const report = await evictOwnedCache(cache, { owned, keep: [], maxBytes: 1e12 });
  assert.deepEqual(report.removed, []);
  assert.ok(report.ownedBytes > 0);
});

Deno.test("over its cap: unreferenced owned snapshots go, least recently used first, never a referenced one", async () => {
  const { cache, owned, bytes } = await sharedCache();
  const [one, two, three] = owned;
  // Keep only c/three referenced; a cap that needs one model removed.
  const cap = (await bytes(one)) + (await bytes(two)) + (await bytes(three)) - 1;
  const report = await evictOwnedCache(cache, { owned, keep: [three], maxBytes: cap });
  assert.deepEqual(report.removed.map((r) => r.repo), ["a/one"], "the least recently used unreferenced one only");
  assert.equal(report.overCapBy, 0);
  assert.throws(() => Deno.statSync(join(cache, "models--a--one", "snapshots", one.commit)));
  for (const b of one.blobs) assert.throws(() => Deno.statSync(join(cache, b)), `blob ${b} freed`);

  const tight = await evictOwnedCache(cache, { owned: [two, three], keep: [three], maxBytes: 0 });
  assert.deepEqual(tight.removed.map((r) => r.repo), ["b/two"]);
  assert.ok(tight.overCapBy > 0, "what a commitment references stays, even over the cap");
  assert.ok(Deno.statSync(join(cache, "models--c--three", "snapshots", three.commit, "model.safetensors")).isFile);
});

Deno.test("files another tool put in the cache survive eviction, including a blob its snapshot shares with ours", async () => {
  const { cache, owned, foreign, sharing } = await sharedCache();
  const report = await evictOwnedCache(cache, { owned, keep: [], maxBytes: 0 });
  assert.equal(report.removed.length, 3);
  assert.equal(Deno.readTextFileSync(join(foreign, "blobs", "f".repeat(64))).length, 5000, "the other tool's blob");
  assert.ok(Deno.statSync(join(sharing, "model.safetensors")).isFile, "a blob another snapshot links to is kept");
  assert.equal(report.overCapBy, report.ownedBytes, "what remains is the shared blob");
});
