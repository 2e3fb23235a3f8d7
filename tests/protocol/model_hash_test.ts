import assert from "node:assert/strict";
import { join } from "node:path";
import { fileHash, FileSetError, type FileSetRule, hashModelDir, modelFileSet, secureHash } from "../../src/mod.ts";
import { tempDir } from "../helpers/temp.ts";

// Expected values computed with coreutils, independently of the code under test:
//   printf '{}' | sha256sum | cut -d' ' -f1 | xxd -r -p | base64
const HASH_OF = {
  hello: "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=",
  "{}": "RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=",
  weights: "mhKQONmgCu0M9qfqBZylCoE0SQYauHhIzxoT6v3zOyw=",
};
// printf '%s%s' "$(hash of {})" "$(hash of weights)" | sha256sum | … | base64
const DIR_HASH = "TzSqCdDQdZvr9jiS5HQH94MtbNyVfC0m5T4qntSIgx8=";
// printf '%s%s' "$DIR_HASH" "$HOTKEY" | sha256sum | … | base64
const HOTKEY = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
const SECURE = "OVk+ijD7wO8L8jlGAP6dhVzqhPMc8qvv2GLPaH3/e3o=";

Deno.test("fileHash() is base64(SHA-256) of the bytes", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(join(dir, "f"), "hello");
  assert.equal(await fileHash(join(dir, "f")), HASH_OF.hello);
});

Deno.test("hashModelDir() hashes the file set in path order, ignoring other files", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(join(dir, "config.json"), "{}");
  await Deno.writeTextFile(join(dir, "model.safetensors"), "weights");
  await Deno.writeTextFile(join(dir, "README.md"), "not hashed");
  await Deno.writeTextFile(join(dir, "pytorch_model.bin"), "never");
  const { hash, files } = await hashModelDir(dir);
  assert.deepEqual(files, ["config.json", "model.safetensors"]);
  assert.equal(hash, DIR_HASH);
  assert.equal(secureHash(hash, HOTKEY), SECURE);
  assert.notEqual(secureHash(hash, "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"), SECURE);
});

Deno.test("modelFileSet() takes shards from the index, optional files when present, and refuses gaps", () => {
  const index = JSON.stringify({
    weight_map: { a: "model-00002-of-00002.safetensors", b: "model-00001-of-00002.safetensors" },
  });
  const present = [
    "config.json",
    "model.safetensors.index.json",
    "model-00001-of-00002.safetensors",
    "model-00002-of-00002.safetensors",
    "tokenizer.json",
    "notes.txt",
  ];
  assert.deepEqual(modelFileSet(present, index), [
    "config.json",
    "model-00001-of-00002.safetensors",
    "model-00002-of-00002.safetensors",
    "model.safetensors.index.json",
    "tokenizer.json",
  ]);
  assert.throws(
    () => modelFileSet(present.filter((f) => f !== "model-00002-of-00002.safetensors"), index),
    /model-00002-of-00002.safetensors is missing/,
  );
  assert.throws(() => modelFileSet(["model.safetensors"]), /config.json is missing/);
  assert.throws(() => modelFileSet(["config.json"]), /no model.safetensors/);
  const traversal = JSON.stringify({ weight_map: { a: "../../etc/passwd.safetensors" } });
  assert.throws(
    () => modelFileSet(["config.json", "model.safetensors.index.json"], traversal),
    /not a plain .safetensors file/,
  );
});

Deno.test("an adapter's file set is adapter_config.json and adapter_model.safetensors; a model's config.json wins", () => {
  const adapter = ["adapter_config.json", "adapter_model.safetensors", "README.md", "adapter_model.bin"];
  assert.deepEqual(modelFileSet(adapter), ["adapter_config.json", "adapter_model.safetensors"]);
  assert.throws(
    () => modelFileSet(["adapter_config.json", "adapter_model.bin"]),
    /adapter_model.safetensors is missing/,
  );
  assert.deepEqual(modelFileSet(["config.json", "model.safetensors", "adapter_config.json"]), [
    "config.json",
    "model.safetensors",
  ]);
});

Deno.test("modelFileSet() carries the broken rule as a code, with the same message", () => {
  const refused = (code: FileSetRule, message: RegExp) => (e: unknown) =>
    e instanceof FileSetError && e.code === code && message.test(e.message);
  assert.throws(() => modelFileSet(["model.safetensors"]), refused("config", /^config\.json is missing$/));
  assert.throws(() => modelFileSet(["config.json"]), refused("files", /^no model\.safetensors or /));
  assert.throws(
    () => modelFileSet(["config.json", "model.safetensors.index.json"]),
    refused("files", /must be read to know the shards/),
  );
  assert.throws(
    () => modelFileSet(["config.json", "model.safetensors.index.json"], "{"),
    refused("safetensors", /is not valid JSON/),
  );
  assert.throws(() => modelFileSet(["adapter_config.json"]), refused("files", /adapter_model\.safetensors is missing/));
});
