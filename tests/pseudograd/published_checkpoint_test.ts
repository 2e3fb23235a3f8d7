/**
 * Published checkpoints (src/pseudograd/published_checkpoint.ts) as a miner or a worker reads
 * them from a store it does not trust: the manifest read strictly, the files held to the
 * manifest's model hash, and each broken rule named in one line.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkModel } from "../../eval/mod.ts";
import { Rng } from "../../fixtures/mod.ts";
import {
  checkpointRepo,
  compressParameter,
  encodeSubmission,
  hashModelDir,
  layoutOf,
  LocalModelStore,
  MANIFEST_FILE,
  publishCheckpoint,
  pullCheckpoint,
  readSubmission,
  writeNextCheckpoint,
} from "../../src/mod.ts";
import { tinyModel } from "../helpers/models.ts";
import { tempDir } from "../helpers/temp.ts";

/** A next checkpoint of the tiny GPT-2 from one random submission, in `dir`. */
async function checkpoint(dir: string) {
  const baseDir = await tinyModel("gpt2-f32-untied");
  const base = await checkModel(baseDir);
  const layout = layoutOf(base, { chunk: 8, topk: 4, bins: 4, range: 6 });
  const rng = new Rng(5);
  const wire = new Map(layout.parameters.map((p) => {
    const n = p.geometry.shape.reduce((a, b) => a * b, 1);
    return [p.name, compressParameter(rng.normals(n, 0.1), p.geometry.shape, layout.codec)];
  }));
  const parent = (await hashModelDir(baseDir)).hash;
  const submission = readSubmission(
    encodeSubmission(layout, wire, { window: 3, base: parent, codec: layout.codec }),
    layout,
  );
  return await writeNextCheckpoint(base, {
    layout,
    parent,
    peers: [{ label: "uid 1", sha256: "0".repeat(64), submission }],
    lr: 1,
    outDir: dir,
    window: 3,
  });
}

Deno.test("a published checkpoint pulls back as the same files, window and hash; a store's tampering is refused", async () => {
  const root = await tempDir("sn9-published-");
  const store = new LocalModelStore(join(root, "store"));
  const repo = checkpointRepo("alice", "tiny-pseudograd");
  assert.equal(repo, "alice/tiny-pseudograd-global");
  const dir = join(root, "next");
  const manifest = await checkpoint(dir);
  const commit = await publishCheckpoint(store, { repo, dir, manifest });
  const pulled = await pullCheckpoint(store, { repo, cacheDir: join(root, "miner") });
  assert.equal(pulled.commit, commit);
  assert.equal(pulled.hash, manifest.result);
  assert.equal(pulled.hash, (await hashModelDir(dir)).hash);
  assert.deepEqual(pulled.manifest, manifest);
  assert.equal((await store.revision(repo, "main")).files.some((f) => f.path === MANIFEST_FILE), true);

  // Each way a store can hand over something else, and the rule the reader names.
  const cases: [string, (d: string) => Promise<void>, RegExp][] = [
    [
      "a manifest whose hash is another model's",
      (d) => Deno.writeTextFile(join(d, MANIFEST_FILE), JSON.stringify({ ...manifest, result: manifest.parent })),
      /the downloaded files hash to .*, not the pinned /,
    ],
    [
      "a manifest that is not JSON",
      (d) => Deno.writeTextFile(join(d, MANIFEST_FILE), "{ window: 3"),
      /: window_manifest\.json is not valid JSON \(/,
    ],
    [
      "a manifest with a repeated key",
      (d) => Deno.writeTextFile(join(d, MANIFEST_FILE), `{"result": "a", "result": "b"}`),
      /: window_manifest\.json: the key "result" appears twice in one object$/,
    ],
    [
      "another format",
      (d) => Deno.writeTextFile(join(d, MANIFEST_FILE), JSON.stringify({ ...manifest, format: "pickle" })),
      /window_manifest\.json has format "pickle"/,
    ],
    [
      "no window",
      (d) => Deno.writeTextFile(join(d, MANIFEST_FILE), JSON.stringify({ ...manifest, window: -1 })),
      /window_manifest\.json has no window number/,
    ],
    [
      "no manifest",
      (d) => Deno.remove(join(d, MANIFEST_FILE)),
      /has no window_manifest\.json: it is not a published checkpoint/,
    ],
  ];
  for (const [i, [what, spoil, rule]] of cases.entries()) {
    const bad = join(root, `bad-${i}`);
    await Deno.mkdir(bad);
    for (const f of ["config.json", "model.safetensors", MANIFEST_FILE]) {
      await Deno.copyFile(join(dir, f), join(bad, f));
    }
    await spoil(bad);
    const paths = [...Deno.readDirSync(bad)].map((e) => e.name);
    const badRepo = `mallory/bad-${i}`;
    await store.upload({ repo: badRepo, dir: bad, paths, private: false });
    await assert.rejects(
      pullCheckpoint(store, { repo: badRepo, cacheDir: join(root, `miner-${i}`) }),
      (e: Error) => rule.test(e.message) && !e.message.includes("\n"),
      what,
    );
  }
  assert.throws(() => checkpointRepo("bad namespace", "x"), /is not a model repo id/);
  await Deno.remove(root, { recursive: true });
});
