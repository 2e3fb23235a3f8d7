/**
 * One home for the header rules: every corpus attack that a store can hold (the file-type and
 * link attacks cannot be uploaded) is rejected over ranged reads before download with the same
 * code and the same reason as the local check gives it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkModel, ModelRejected } from "../../eval/mod.ts";
import { inspectRemoteModel, localModelFileSet, LocalModelStore } from "../../src/mod.ts";
import { CORPUS } from "../eval/hostile/corpus.ts";
import { tinyModel } from "../helpers/models.ts";
import { tempDir } from "../helpers/temp.ts";

Deno.test("remote inspection gives every uploadable corpus attack the local check's code and reason", async () => {
  const root = await tempDir("sn9-parity-");
  const store = new LocalModelStore(join(root, "store"));
  let compared = 0;
  for (const [i, c] of CORPUS.entries()) {
    if (c.code === "files" || c.code === "weights") continue; // no store holds a FIFO or a link; weights are scanned after download
    const d = { model: join(root, `m${i}`), outside: join(root, `o${i}`) };
    await Deno.mkdir(d.outside, { recursive: true });
    await c.build(d);
    let files: string[];
    try {
      files = await localModelFileSet(d.model);
    } catch (e) {
      console.log(`${c.name}: not uploadable (${(e as Error).message.slice(0, 80)})`);
      continue;
    }
    const local = await checkModel(d.model, { scanWeights: false }).then(() => null, (e) => e as ModelRejected);
    const commit = await store.upload({ repo: `evil/m${i}`, dir: d.model, paths: files });
    const remote = await inspectRemoteModel(store, `evil/m${i}`, commit).then(() => null, (e) => e as ModelRejected);
    assert.ok(local instanceof ModelRejected && remote instanceof ModelRejected, `${c.name}: ${local} / ${remote}`);
    assert.equal(remote.code, local.code, `${c.name}: remote ${remote.message}`);
    const strip = (m: string) => m.replace(/^[^:]+: /, ""); // the label: directory name or repo@commit
    assert.equal(strip(remote.message), strip(local.message), c.name);
    compared++;
  }
  assert.ok(compared >= 30, `${compared} cases compared`);
  console.log(`${compared} corpus cases compared`);
});

Deno.test("the byte cap counts the whole hashed file set, tokenizer files included, before download and after", async () => {
  const root = await tempDir("sn9-cap-");
  const dir = join(root, "m");
  await Deno.mkdir(dir);
  for await (const e of Deno.readDir(await tinyModel("llama-f32-untied"))) {
    await Deno.copyFile(join(await tinyModel("llama-f32-untied"), e.name), join(dir, e.name));
  }
  await Deno.writeTextFile(join(dir, "tokenizer.json"), JSON.stringify({ model: { vocab: {} } }).padEnd(5000));
  await Deno.writeTextFile(join(dir, "README.md"), "not hashed, not counted".repeat(100));
  const files = await localModelFileSet(dir);
  assert.ok(files.includes("tokenizer.json"));
  let total = 0;
  for (const f of files) total += (await Deno.stat(join(dir, f))).size;

  const store = new LocalModelStore(join(root, "store"));
  const commit = await store.upload({ repo: "tester/cap", dir, paths: files });
  const local = (maxBytes: number) => checkModel(dir, { limits: { maxBytes }, scanWeights: false });
  const remote = (maxBytes: number) => inspectRemoteModel(store, "tester/cap", commit, { limits: { maxBytes } });
  assert.equal((await remote(total)).totalBytes, total);
  await local(total);
  for (const check of [local, remote]) {
    await assert.rejects(
      () => check(total - 1),
      (e: unknown) =>
        e instanceof ModelRejected && e.code === "limits" &&
        e.message.includes(`the model files total ${total} bytes, over the cap ${total - 1}`),
    );
  }
});
