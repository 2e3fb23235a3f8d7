import assert from "node:assert/strict";
import { parseIndex, parseSafetensorsHeader } from "../../eval/mod.ts";
import { assemble, encodeSafetensors } from "../../fixtures/mod.ts";

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

// The reference reader (safetensors/src/tensor.rs, Metadata::validate and read_metadata): sorted by
// offsets, each tensor begins where the previous ends, and the last ends at the end of the file.
Deno.test("parseSafetensorsHeader() requires the tensors to tile the data section: no overlap, gap or tail", () => {
  const overlap = assemble({ a: entry("F32", [4], 0, 16), b: entry("F32", [4], 8, 24) }, [new Uint8Array(24)]);
  assert.throws(() => parse(overlap), /tensor "b" begins at data offset 8, the previous tensor ends at 16/);
  const gap = assemble({ a: entry("F32", [2], 0, 8), b: entry("F32", [2], 12, 20) }, [new Uint8Array(20)]);
  assert.throws(() => parse(gap), /tensor "b" begins at data offset 12, the previous tensor ends at 8/);
  const late = assemble({ a: entry("F32", [2], 4, 12) }, [new Uint8Array(12)]);
  assert.throws(() => parse(late), /tensor "a" begins at data offset 4, the previous tensor ends at 0/);
  const tail = assemble({ a: entry("F32", [2], 0, 8) }, [new Uint8Array(12)]);
  assert.throws(() => parse(tail), /the tensors cover 8 bytes of a 12-byte data section/);
  // Zero-sized tensors sit anywhere on the tiling.
  const empty = assemble({ a: entry("F32", [0], 0, 0), b: entry("F32", [2], 0, 8) }, [new Uint8Array(8)]);
  assert.equal(parse(empty).tensors.size, 2);
});

Deno.test("parseSafetensorsHeader() refuses a repeated key, whichever value a reader would keep", () => {
  const raw = (json: string, data: number) => {
    const head = new TextEncoder().encode(json);
    const out = new Uint8Array(8 + head.length + data);
    new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
    out.set(head, 8);
    return out;
  };
  const twice =
    '{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "a": {"dtype": "F16", "shape": [4], "data_offsets": [0, 8]}}';
  assert.throws(() => parse(raw(twice, 8)), /the key "a" appears twice in one object/);
  const field = '{"a": {"dtype": "F32", "dtype": "F16", "shape": [2], "data_offsets": [0, 8]}}';
  assert.throws(() => parse(raw(field, 8)), /the key "dtype" appears twice/);
  assert.throws(() => parse(raw(' {"a": 1}', 0)), /must start with "\{"/);
  assert.throws(() => parse(raw(`{"a": ${"[".repeat(5000)}${"]".repeat(5000)}}`, 0)), /nesting deeper than 4 levels/);
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
  assert.throws(() => parse(raw("{not json")), /header is not valid JSON/);
  assert.throws(() => parse(raw("[1,2]")), /not a JSON object/);
  assert.throws(() => parse(raw('{"a": 5}')), /entry is not an object/);
  assert.throws(() => parse(raw('{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}}')), /shape \[-1\]/);
  assert.throws(() => parse(raw('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}')), /data_offsets/);
  assert.throws(() => parse(raw('{"__metadata__": {"x": 1}}')), /__metadata__ must map strings to strings/);
});

Deno.test("parseIndex() maps tensors to plain shard names and refuses paths and unknown tensors", () => {
  const index = (map: Record<string, unknown>) => JSON.stringify({ metadata: {}, weight_map: map });
  const m = parseIndex(index({ x: "a.safetensors", y: "b.safetensors" }));
  assert.deepEqual([...m], [["x", "a.safetensors"], ["y", "b.safetensors"]]);
  for (
    const bad of ["../a.safetensors", "/etc/passwd.safetensors", ".hidden.safetensors", "a.bin", "sub/a.safetensors", 7]
  ) {
    assert.throws(() => parseIndex(index({ x: bad })), /is not a plain \.safetensors file name/, String(bad));
  }
  assert.throws(
    () => parseIndex(index({ x: "a.safetensors", z: "a.safetensors" }), (n) => n === "x"),
    /unexpected tensor "z"/,
  );
  assert.throws(
    () => parseIndex('{"weight_map": {"x": "a.safetensors", "x": "b.safetensors"}}'),
    /the key "x" appears twice/,
  );
  assert.throws(() => parseIndex("[]"), /no weight_map object/);
});
