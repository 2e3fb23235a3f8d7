/**
 * The `pseudograd-v1` file: written, read back, and refused by rule. The worked numbers are
 * docs/pseudograd.md's ("Quantisation", "Decoding and the aggregate"; computed by running Templar's own `compress.py` with `target_chunk = 4`,
 * `topk = 2`, 4 bins), copied from that document; the hostile files are built by hand from a valid
 * one, each breaking one rule.
 */
import assert from "node:assert/strict";
import { checkModel } from "../../eval/mod.ts";
import { assemble } from "../../fixtures/mod.ts";
import {
  aggregateParameter,
  checkSubmissionFor,
  compressParameter,
  denseUpdate,
  encodeSubmission,
  layoutOf,
  readSubmission,
  submissionCodec,
  submissionLayout,
  SubmissionRefused,
  type SubmissionRule,
  TEMPLAR_CODEC,
  type WireParameter,
} from "../../src/pseudograd/mod.ts";
import { tinyModel } from "../helpers/models.ts";

const SMALL = { chunk: 4, topk: 2, bins: 4, range: 6 };
const BASE = "2Zpl7qNz/jHq/LEGr68yOzmLsMEM2lZpt5AbTY1U3qY=";
const PEER1 = [0.5, -1.0, 0.1, 2.0, -0.3, 0.05, -2.5, 0.7];
const PEER2 = [0, 0.2, 0, 0.4, 0.1, 0, 0, -0.3];
const layout8 = submissionLayout([{ name: "w", shape: [8] }], SMALL);
const wire = (values: number[]) => new Map([["w", compressParameter(values, [8], SMALL) as WireParameter]]);
const valid = () => encodeSubmission(layout8, wire(PEER1), { window: 7, base: BASE, codec: SMALL });

const close = (actual: ArrayLike<number>, expected: number[], tol: number, what: string) => {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
};

/** The header and data of a file, to edit and reassemble. */
function split(bytes: Uint8Array): { header: Record<string, any>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), data: bytes.slice(8 + n) };
}

function refusedBy(rule: SubmissionRule, pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof SubmissionRefused, `expected SubmissionRefused, got ${e}`);
    assert.equal(e.rule, rule, e.message);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes("\n") && e.message.length <= 300, "one bounded line");
    return true;
  };
}

Deno.test("a submission round-trips and decodes to the worked quantisation's dense update [0, −0.15, 0, 2, 0, 0, −2.5, −0.15]", () => {
  const s = readSubmission(valid(), layout8);
  assert.deepEqual(s.meta, { window: 7, base: BASE, codec: SMALL });
  const w = s.parameters.get("w")!;
  assert.deepEqual([...w.idxs], [0x03, 0x10, 0x00, 0x02, 0x30, 0x00], "the worked packed indices");
  assert.deepEqual([...w.codes], [3, 2, 1, 2], "the worked codes");
  close(w.lookup, [0, -2.3, 0.05, 2.2], 1e-6, "lookup");
  close(denseUpdate(layout8.parameters[0], w), [0, -0.15, 0, 2.0, 0, 0, -2.5, -0.15], 1e-6, "decoded");
  assert.deepEqual(submissionCodec(valid()), SMALL);
});

Deno.test("two submissions aggregate to the worked two-peer [0, 0.0623, 0, 0.3693, 0.15, 0, −0.4232, −0.1627]", () => {
  const peers = [valid(), encodeSubmission(layout8, wire(PEER2), { window: 7, base: BASE, codec: SMALL })]
    .map((b) => readSubmission(b, layout8).parameters.get("w")!);
  const agg = aggregateParameter(layout8.parameters[0], peers);
  close(agg.dense, [0, 0.0623, 0, 0.3693, 0.15, 0, -0.4232, -0.1627], 1e-4, "aggregate");
  close(agg.factors, [0.16928, 1], 1e-5, "clip factors");
  close([agg.clipNorm], [0.5431], 1e-4, "clip norm");
});

Deno.test("the layout follows the checkpoint's stored names: bare GPT-2 keys stay bare; no tied head, no buffers", async () => {
  const bare = await checkModel(await tinyModel("gpt2-f32-tied")); // bare keys, with attn.bias buffers
  const names = layoutOf(bare, TEMPLAR_CODEC).parameters.map((p) => p.name);
  assert.ok(names.includes("wte.weight") && names.includes("h.0.attn.c_attn.weight"), names.join());
  assert.ok(
    !names.some((n) => n.startsWith("transformer.") || /^h\.\d+\.attn\.bias$/.test(n) || n.startsWith("lm_head")),
  );
  assert.deepEqual(names, [...names].sort(), "sorted by name");
  const untied = await checkModel(await tinyModel("gpt2-f32-untied"));
  assert.ok(layoutOf(untied, TEMPLAR_CODEC).parameters.some((p) => p.name === "lm_head.weight"));
  // Conv1D weights are chunked as stored, (in, out).
  const attn = layoutOf(bare, TEMPLAR_CODEC).parameters.find((p) => p.name === "h.0.attn.c_attn.weight")!;
  assert.deepEqual(attn.geometry.shape, bare.params.get("transformer.h.0.attn.c_attn.weight")!.shape);
});

Deno.test("submissionLayout() refuses a parameter whose chunk holds fewer than 2 elements, and codecs the wire cannot carry", () => {
  assert.throws(
    () => submissionLayout([{ name: "scale", shape: [1] }], TEMPLAR_CODEC),
    /parameter "scale" \[1\] cannot be sent as a pseudo-gradient: a chunk of 1 element cannot hold top-2/,
  );
  assert.throws(() => submissionLayout([{ name: "w", shape: [97, 97] }], TEMPLAR_CODEC), /chunk of 1 element/);
  assert.equal(submissionLayout([{ name: "w", shape: [45] }], TEMPLAR_CODEC).parameters[0].k, 44, "45 wide gives 44");
  assert.throws(
    () => submissionLayout([], { ...TEMPLAR_CODEC, chunk: 65 }),
    /codec chunk 65 must be an integer in \[1, 64\]/,
  );
  assert.throws(() => submissionLayout([], { ...TEMPLAR_CODEC, bins: 300 }), /codec bins 300/);
});

Deno.test("a zero update is valid and decodes to zeros", () => {
  const bytes = encodeSubmission(layout8, wire([0, 0, 0, 0, 0, 0, 0, 0]), { window: 7, base: BASE, codec: SMALL });
  const s = readSubmission(bytes, layout8);
  assert.deepEqual([...denseUpdate(layout8.parameters[0], s.parameters.get("w")!)], Array(8).fill(0));
});

Deno.test("tensors in any order and positions in any order within a chunk are read alike", () => {
  const { header, data } = split(valid());
  const entries = Object.entries(header).filter(([k]) => k !== "__metadata__").reverse();
  const blobs: Uint8Array[] = [];
  const reordered: Record<string, unknown> = { __metadata__: header.__metadata__ };
  let at = 0;
  for (const [name, e] of entries) {
    let b = data.slice(e.data_offsets[0], e.data_offsets[1]);
    // Swap the two positions (and codes) of chunk 0: [3, 1] becomes [1, 3].
    if (name === "w.idxs") b = new Uint8Array([0x01, 0x30, 0x00, 0x02, 0x30, 0x00]);
    if (name === "w.vals") b = new Uint8Array([b[1], b[0], b[2], b[3]]);
    reordered[name] = { ...e, data_offsets: [at, at + b.length] };
    blobs.push(b);
    at += b.length;
  }
  const s = readSubmission(assemble(reordered, blobs), layout8);
  close(denseUpdate(layout8.parameters[0], s.parameters.get("w")!), [0, -0.15, 0, 2.0, 0, 0, -2.5, -0.15], 1e-6, "");
});

/** Rewrites one tensor's bytes (same length) in a valid file. */
function withBytes(name: string, edit: (b: Uint8Array) => void): Uint8Array {
  const bytes = valid();
  const { header } = split(bytes);
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const [begin, end] = header[name].data_offsets;
  edit(bytes.subarray(8 + n + begin, 8 + n + end));
  return bytes;
}

/** Rewrites the header of a valid file and reassembles it. */
function withHeader(edit: (h: Record<string, any>, data: Uint8Array) => Uint8Array | void): Uint8Array {
  const { header, data } = split(valid());
  const replaced = edit(header, data);
  return assemble(header, [replaced ?? data]);
}

const f32 = (x: number) => new Uint8Array(Float32Array.of(x).buffer);

for (
  const [what, bytes, rule, pattern] of [
    [
      "an index ≥ totalk",
      () => withBytes("w.idxs", (b) => b.set([0x04, 0x10, 0x00])),
      "indices",
      /chunk 0 names position 4, outside its 4/,
    ],
    [
      "a duplicate index in a chunk",
      () => withBytes("w.idxs", (b) => b.set([0x03, 0x30, 0x00])),
      "indices",
      /chunk 0 names position 3 twice/,
    ],
    ["a code ≥ bins", () => withBytes("w.vals", (b) => (b[2] = 4)), "codes", /"w.vals"\[2\] is 4, not below 4 bins/],
    ["a NaN in lookup", () => withBytes("w.lookup", (b) => b.set(f32(NaN), 4)), "values", /"w.lookup"\[1\] is NaN/],
    [
      "an infinite shift",
      () => withBytes("w.shift", (b) => b.set(f32(-Infinity))),
      "values",
      /"w.shift"\[0\] is -Infinity/,
    ],
    [
      "a lookup over 1e4",
      () => withBytes("w.lookup", (b) => b.set(f32(2e4))),
      "values",
      /is 20000; lookup and shift must be finite/,
    ],
    [
      "a wrong packed length",
      () =>
        withHeader((h, d) => {
          h["w.idxs"].shape = [5];
          for (const k of ["w.lookup", "w.shift", "w.vals"]) {
            h[k].data_offsets = h[k].data_offsets.map((o: number) => o - 1);
          }
          h["w.idxs"].data_offsets[1] -= 1;
          return new Uint8Array([...d.subarray(0, 5), ...d.subarray(6)]);
        }),
      "tensors",
      /tensor "w.idxs" is U8 \[5\], the model implies U8 \[6\]/,
    ],
    [
      "codes as F32",
      () => withHeader((h) => void (h["w.shift"].dtype = "U8", h["w.shift"].shape = [4])),
      "tensors",
      /"w.shift" is U8 \[4\], the model implies F32 \[\]/,
    ],
    [
      "a missing tensor",
      () =>
        withHeader((h, d) => {
          const [begin, end] = h["w.shift"].data_offsets;
          delete h["w.shift"];
          h["w.vals"].data_offsets = h["w.vals"].data_offsets.map((o: number) => o - (end - begin));
          return new Uint8Array([...d.subarray(0, begin), ...d.subarray(end)]);
        }),
      "tensors",
      /missing tensor "w.shift" \(every parameter needs idxs, vals, lookup, shift\)/,
    ],
    [
      "an extra tensor",
      () =>
        withHeader((
          h,
          d,
        ) => (h["x.idxs"] = { dtype: "U8", shape: [1], data_offsets: [d.length, d.length + 1] },
          new Uint8Array([...d, 0]))
        ),
      "header",
      /unexpected tensor "x.idxs"/,
    ],
    [
      "a pickle-era dtype",
      () => withHeader((h) => void (h["w.vals"].dtype = "I16", h["w.vals"].shape = [2])),
      "header",
      /dtype "I16" is not one of U8, F32/,
    ],
    [
      "another format",
      () => withHeader((h) => void (h.__metadata__.format = "pt")),
      "metadata",
      /__metadata__.format is "pt", not "pseudograd-v1"/,
    ],
    [
      "an unknown metadata key",
      () => withHeader((h) => void (h.__metadata__.note = "x")),
      "metadata",
      /unknown __metadata__ key "note"/,
    ],
    [
      "a window that is not a number",
      () => withHeader((h) => void (h.__metadata__.window = "07")),
      "metadata",
      /window "07" is not a window number/,
    ],
    [
      "a base that is not a model hash",
      () => withHeader((h) => void (h.__metadata__.base = "abc")),
      "metadata",
      /base "abc" is not a model hash/,
    ],
    [
      "another codec",
      () => withHeader((h) => void (h.__metadata__.codec = JSON.stringify({ ...SMALL, bins: 8 }))),
      "codec",
      /is not the competition's/,
    ],
    [
      "a codec that is not JSON",
      () => withHeader((h) => void (h.__metadata__.codec = "{chunk")),
      "codec",
      /is not JSON/,
    ],
    [
      "bytes beyond the format",
      () => {
        const v = valid();
        const out = new Uint8Array(v.length + 5000);
        out.set(v);
        return out;
      },
      "size",
      /bytes, over the \d+ this model's pseudo-gradient takes/,
    ],
    [
      "a control character in a name",
      () => withHeader((h) => void (h["w\u001b[2J.vals"] = h["w.vals"], delete h["w.vals"])),
      "header",
      /unexpected tensor "w\\u001b\[2J.vals"/,
    ],
  ] as [string, () => Uint8Array, SubmissionRule, RegExp][]
) {
  Deno.test(`readSubmission() refuses ${what}`, () => {
    assert.throws(() => readSubmission(bytes(), layout8), refusedBy(rule, pattern));
  });
}

Deno.test("checkSubmissionFor() refuses another window or base; both name what they expected", () => {
  const { meta } = readSubmission(valid(), layout8);
  checkSubmissionFor(meta, { window: 7, base: BASE });
  assert.throws(() => checkSubmissionFor(meta, { window: 8, base: BASE }), refusedBy("window", /window 7, not 8/));
  const other = "A".repeat(43) + "=";
  assert.throws(() => checkSubmissionFor(meta, { window: 7, base: other }), refusedBy("base", /not the window's A+=/));
});
