import assert from "node:assert/strict";
import { join } from "node:path";
import { parseSafetensorsHeader, readModelWeights, readSafetensorsHeader } from "../../eval/mod.ts";
import { assemble, encodeSafetensors } from "../../fixtures/mod.ts";
import { tempDir } from "../helpers/temp.ts";

const f32 = (n: number) => new Float32Array(n).fill(0.5);
const entry = (dtype: string, shape: number[], begin: number, end: number) => ({
  dtype,
  shape,
  data_offsets: [begin, end],
});

/** Parses bytes as a whole file. */
const parse = (bytes: Uint8Array) => parseSafetensorsHeader(bytes, bytes.length, "model.safetensors");

Deno.test("parseSafetensorsHeader() reads names, dtypes, shapes and absolute offsets", () => {
  const bytes = encodeSafetensors([{ name: "a", shape: [2, 3], data: f32(6) }, {
    name: "b",
    shape: [4],
    data: f32(4),
  }]);
  const h = parse(bytes);
  assert.equal(h.tensors.size, 2);
  const a = h.tensors.get("a")!, b = h.tensors.get("b")!;
  assert.deepEqual([a.dtype, a.shape, a.length], ["F32", [2, 3], 24]);
  assert.equal(a.offset, h.dataStart);
  assert.equal(b.offset, h.dataStart + 24);
  assert.equal(h.dataStart + 24 + 16, bytes.length);
  assert.deepEqual(h.metadata, { format: "pt" });
});

Deno.test("parseSafetensorsHeader() rejects a header longer than the file", () => {
  const bytes = encodeSafetensors([{ name: "a", shape: [2], data: f32(2) }]);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(bytes.length), true);
  assert.throws(() => parse(bytes), /header length \d+ is longer than the file/);
});

Deno.test("parseSafetensorsHeader() rejects an absurd header length without allocating it", () => {
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setBigUint64(0, 2n ** 62n, true);
  assert.throws(() => parse(bytes), /header length \d+ exceeds/);
});

Deno.test("parseSafetensorsHeader() rejects a file too short for a header", () => {
  assert.throws(() => parse(new Uint8Array(5)), /too short/);
});

Deno.test("parseSafetensorsHeader() rejects offsets past the end of the file", () => {
  const bytes = assemble({ a: entry("F32", [4], 0, 16) }, [new Uint8Array(8)]);
  assert.throws(() => parse(bytes), /tensor "a".*offsets end at \d+, file has \d+ bytes/);
});

Deno.test("parseSafetensorsHeader() rejects overlapping tensors", () => {
  const bytes = assemble({ a: entry("F32", [4], 0, 16), b: entry("F32", [4], 8, 24) }, [new Uint8Array(24)]);
  assert.throws(() => parse(bytes), /tensors "a" and "b" overlap at byte/);
});

Deno.test("parseSafetensorsHeader() rejects a byte span that does not match shape × dtype size", () => {
  // BF16 [4] is 8 bytes; the offsets claim 16 (as if F32).
  const bytes = assemble({ a: entry("BF16", [4], 0, 16) }, [new Uint8Array(16)]);
  assert.throws(() => parse(bytes), /BF16 \[4\] needs 8 bytes, offsets span 16/);
});

Deno.test("parseSafetensorsHeader() rejects dtypes other than F32, F16, BF16", () => {
  for (const dtype of ["I64", "F64", "U8", "float32", 7]) {
    const bytes = assemble({ a: { dtype, shape: [1], data_offsets: [0, 8] } }, [new Uint8Array(8)]);
    assert.throws(() => parse(bytes), /dtype .* is not one of F32, F16, BF16/, String(dtype));
  }
});

Deno.test("parseSafetensorsHeader() rejects malformed JSON, entries, shapes and offsets", () => {
  const raw = (json: string) => {
    const head = new TextEncoder().encode(json);
    const out = new Uint8Array(8 + head.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
    out.set(head, 8);
    return out;
  };
  assert.throws(() => parse(raw("{not json")), /not valid UTF-8 JSON/);
  assert.throws(() => parse(raw("[1,2]")), /not a JSON object/);
  assert.throws(() => parse(raw('{"a": 5}')), /entry is not an object/);
  assert.throws(() => parse(raw('{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}}')), /shape \[-1\]/);
  assert.throws(() => parse(raw('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}')), /data_offsets/);
  assert.throws(() => parse(raw('{"__metadata__": {"x": 1}}')), /__metadata__ must map strings to strings/);
});

Deno.test("readSafetensorsHeader() reads only the header of a file on disk", async () => {
  const dir = await tempDir();
  const path = join(dir, "model.safetensors");
  await Deno.writeFile(path, encodeSafetensors([{ name: "w", shape: [3, 2], data: f32(6) }], "BF16"));
  const h = await readSafetensorsHeader(path);
  assert.deepEqual(h.tensors.get("w")!.shape, [3, 2]);
  assert.equal(h.tensors.get("w")!.dtype, "BF16");
  await Deno.writeFile(path, new Uint8Array(4));
  await assert.rejects(() => readSafetensorsHeader(path), /too short/);
});

Deno.test("readModelWeights() merges shards and checks them against the index", async () => {
  const dir = await tempDir();
  await Deno.writeFile(join(dir, "a.safetensors"), encodeSafetensors([{ name: "x", shape: [2], data: f32(2) }]));
  await Deno.writeFile(join(dir, "b.safetensors"), encodeSafetensors([{ name: "y", shape: [3], data: f32(3) }]));
  const writeIndex = (map: Record<string, string>) =>
    Deno.writeTextFile(join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: map }));

  await writeIndex({ x: "a.safetensors", y: "b.safetensors" });
  const w = await readModelWeights(dir);
  assert.deepEqual([...w.tensors.keys()].sort(), ["x", "y"]);
  assert.equal(w.tensors.get("y")!.fileName, "b.safetensors");

  await writeIndex({ x: "a.safetensors", y: "a.safetensors" });
  await assert.rejects(() => readModelWeights(dir), /"y" is in "b.safetensors"|lists "y" but no shard holds it/);
  await writeIndex({ x: "a.safetensors", y: "b.safetensors", z: "b.safetensors" });
  await assert.rejects(() => readModelWeights(dir), /lists "z" but no shard holds it/);
  await writeIndex({ x: "../a.safetensors" });
  await assert.rejects(() => readModelWeights(dir), /not a plain .safetensors file name/);
  await writeIndex({ x: "missing.safetensors" });
  await assert.rejects(() => readModelWeights(dir), /no "missing.safetensors"/);
});
