/**
 * `θ − S·decode(Δ)` evaluated by the engine against the float64 reference forward pass, on every
 * architecture the engine compiles. The reference side decodes the submission file on its own,
 * written from docs/pseudograd.md: "Chunking" (chunk edge: the largest divisor of the axis not
 * above the target; element (r, c) in chunk (r//n1, c//n2) at position (r%n1)·n2 + c%n2, and i at
 * i%n1 of chunk i//n1), "12-bit packing" (two positions in three bytes), "Quantisation" (value =
 * lookup[code] + shift) and "Decoding and the aggregate" (a position named d times gets the mean);
 * it reads the base's weights with the reference reader and shares no code with src/pseudograd.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkModel, createLossSession, createReplacingSession, evaluateLosses } from "../../eval/mod.ts";
import {
  encodeSafetensors,
  evalSequences,
  randomParameters,
  Rng,
  TINY_MODELS,
  writeModelFiles,
} from "../../fixtures/mod.ts";
import {
  compressParameter,
  denseUpdate,
  encodeSubmission,
  layoutOf,
  measurePeers,
  peerReplacements,
  readParameters,
  readSubmission,
  TEMPLAR_CODEC,
  writePeerModel,
  writeUpdatedModel,
} from "../../src/pseudograd/mod.ts";
import { hashModelDir } from "../../src/metadata/mod.ts";
import { readWeights, referenceForward } from "../reference/forward.ts";
import { tinyModel } from "../helpers/models.ts";
import { tempDir } from "../helpers/temp.ts";

/** Stated tolerance: float32 engine against the float64 reference. */
const REL_TOL = 1e-4;
const SCALE = 0.2;

/** A safetensors file's tensors as raw bytes, by name (the reference's own reading). */
function rawTensors(bytes: Uint8Array): Map<string, { dtype: string; shape: number[]; bytes: Uint8Array }> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const out = new Map();
  for (const [name, e] of Object.entries<any>(header)) {
    if (name === "__metadata__") continue;
    out.set(name, { ...e, bytes: bytes.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]) });
  }
  return out;
}

/** The dense update of one parameter, decoded from the file's four tensors. */
function referenceDecode(
  shape: number[],
  target: number,
  t: (suffix: string) => { shape: number[]; bytes: Uint8Array },
): Float64Array {
  const edge = (n: number) => {
    if (n < target) return n;
    let d = target;
    while (n % d !== 0) d--;
    return d;
  };
  const codes = t("vals").bytes, packed = t("idxs").bytes;
  const lookup = new Float32Array(t("lookup").bytes.slice().buffer);
  const shift = new Float32Array(t("shift").bytes.slice().buffer)[0];
  const k = t("vals").shape.at(-1)!;
  const pos: number[] = [];
  for (let o = 0; o < packed.length; o += 3) {
    pos.push(packed[o] | ((packed[o + 1] & 0x0f) << 8), (packed[o + 1] >> 4) | (packed[o + 2] << 4));
  }
  const rows = shape.length === 2 ? shape[0] : 1, cols = shape.at(-1)!;
  const n1 = shape.length === 2 ? edge(rows) : 1, n2 = edge(cols);
  const chunksPerRow = cols / n2;
  const sum = new Float64Array(rows * cols), count = new Float64Array(rows * cols);
  for (let slot = 0; slot < pos.length; slot++) {
    const chunk = Math.floor(slot / k), p = pos[slot];
    const [y, x] = [Math.floor(chunk / chunksPerRow), chunk % chunksPerRow];
    const [h, w] = shape.length === 2 ? [Math.floor(p / n2), p % n2] : [0, p];
    const at = (y * n1 + h) * cols + x * n2 + w;
    sum[at] += lookup[codes[slot]] + shift;
    count[at]++;
  }
  return sum.map((s, i) => (count[i] > 0 ? s / count[i] : 0));
}

const firstOfEach = new Map<string, string>();
for (const def of TINY_MODELS) {
  const arch = (def.config.architectures as string[])[0];
  if (!firstOfEach.has(arch)) firstOfEach.set(arch, def.name);
}
const models = [...firstOfEach.values(), "llama-bf16-untied", "gpt2-f32-untied"];

for (const name of models) {
  Deno.test(`θ − ${SCALE}·decode(Δ) matches the float64 reference: ${name}`, async () => {
    let dir = await tinyModel(name);
    let base = await checkModel(dir);
    const work = await tempDir("sn9-peer-model-");
    const def = TINY_MODELS.find((d) => d.name === name)!;
    if (def.config.vocab_size === 257 && base.params.has("lm_head.bias")) {
      // A head bias of 257 (a prime) chunks into single elements, which cannot hold top-2: the
      // checkpoint is unusable for this kind. The same architecture with 256 tokens is usable.
      assert.throws(() => layoutOf(base, TEMPLAR_CODEC), /"lm_head.bias" \[257\] cannot be sent as a pseudo-gradient/);
      const config = { ...def.config, vocab_size: 256 };
      dir = join(work, "base");
      await writeModelFiles(dir, { config, tensors: randomParameters(config, def.seed), dtype: def.dtype });
      base = await checkModel(dir);
    }
    const layout = layoutOf(base, TEMPLAR_CODEC);
    const rng = new Rng(4242);
    const wire = new Map(
      layout.parameters.map((p) => {
        const n = p.geometry.shape.reduce((a, b) => a * b, 1);
        return [p.name, compressParameter(rng.normals(n, 0.5), p.geometry.shape, TEMPLAR_CODEC)];
      }),
    );
    const meta = { window: 1, base: (await hashModelDir(dir)).hash, codec: TEMPLAR_CODEC };
    const bytes = encodeSubmission(layout, wire, meta);
    const submission = readSubmission(bytes, layout);
    const engineDir = join(work, "engine"), refDir = join(work, "reference");
    await writePeerModel(base, { layout, submission, scale: SCALE, outDir: engineDir });

    // The reference's θ': the base's weights in float64, minus the scale times its own decoding.
    const tensors = rawTensors(bytes);
    const weights = await readWeights(dir);
    const perturbed = [...weights].map(([key, w]) => {
      const data = Float64Array.from(w.data);
      if (tensors.has(`${key}.vals`)) {
        const d = referenceDecode(w.shape, TEMPLAR_CODEC.chunk, (s) => tensors.get(`${key}.${s}`)!);
        for (let i = 0; i < data.length; i++) data[i] -= SCALE * d[i];
      }
      return { name: key, shape: w.shape, data: Float32Array.from(data) };
    });
    assert.ok(perturbed.some((t) => tensors.has(`${t.name}.vals`)), "the submission names the file's tensors");
    await Deno.mkdir(refDir);
    await Deno.copyFile(join(dir, "config.json"), join(refDir, "config.json"));
    await Deno.writeFile(join(refDir, "model.safetensors"), encodeSafetensors(perturbed, "F32"));

    const sequences = await evalSequences(40, 3);
    const session = await createLossSession(await checkModel(engineDir), { maxSequenceLength: 64 });
    const got = await evaluateLosses(session, sequences, { batchSize: 3 });
    await session.release();
    // The second way: the base's own session, the update's slots replaced on each run.
    const replacing = await createReplacingSession(base, {
      maxSequenceLength: 64,
      compute: "float32",
      replaced: layout.parameters.map((p) => p.name),
    });
    const plain = await evaluateLosses(replacing, sequences, { batchSize: 3 });
    replacing.replace(peerReplacements(await readParameters(base), { layout, submission, scale: SCALE }));
    const replaced = await evaluateLosses(replacing, sequences, { batchSize: 3 });
    await replacing.release();
    const { losses: want } = await referenceForward(refDir, sequences);
    const { losses: before } = await referenceForward(dir, sequences);
    const rel = (xs: number[], ref: number[]) => xs.map((g, i) => Math.abs(g - ref[i]) / Math.abs(ref[i]));
    const moved = Math.min(...want.map((w, i) => Math.abs(w - before[i]) / before[i]));
    console.log(
      `${name}: max relative difference ${Math.max(...rel(got, want)).toExponential(2)} as a copy, ` +
        `${Math.max(...rel(replaced, want)).toExponential(2)} replaced in the graph (tolerance ${REL_TOL}); ` +
        `the update moved the losses by ≥ ${moved.toExponential(2)}`,
    );
    assert.ok(moved > 1e-3, "the update must move the losses well past the tolerance, or the test proves nothing");
    rel(got, want).forEach((r, i) => assert.ok(r <= REL_TOL, `sequence ${i}: engine ${got[i]}, reference ${want[i]}`));
    rel(replaced, want).forEach((r, i) =>
      assert.ok(r <= REL_TOL, `sequence ${i}: replaced in the graph ${replaced[i]}, reference ${want[i]}`)
    );
    // An empty replacement is the base itself.
    rel(plain, before).forEach((r, i) => assert.ok(r <= REL_TOL, `sequence ${i}: base ${plain[i]}, ${before[i]}`));
    await Deno.remove(work, { recursive: true });
  });
}

Deno.test("writePeerModel() touches only the kept slots and gives the dense path's weights, bit for bit", async () => {
  const base = await checkModel(await tinyModel("gpt2-f32-untied"));
  const layout = layoutOf(base, { chunk: 8, topk: 4, bins: 4, range: 6 });
  const rng = new Rng(99);
  const wire = new Map(layout.parameters.map((p) => {
    const n = p.geometry.shape.reduce((a, b) => a * b, 1);
    return [p.name, compressParameter(rng.normals(n, 0.3), p.geometry.shape, layout.codec)];
  }));
  const meta = { window: 0, base: "A".repeat(43) + "=", codec: layout.codec };
  const submission = readSubmission(encodeSubmission(layout, wire, meta), layout);
  const factors = new Map(layout.parameters.map((p, i) => [p.name, i % 3 === 0 ? 1 : 0.5 + 0.01 * i]));
  const work = await tempDir("sn9-sparse-");
  await writePeerModel(base, { layout, submission, scale: 0.2, outDir: join(work, "sparse"), factors });
  // The dense path: every parameter's whole update, scaled by its factor, subtracted everywhere.
  const dense = new Map(layout.parameters.map((p) => {
    const f = factors.get(p.name)!, u = denseUpdate(p, submission.parameters.get(p.name)!);
    return [p.name, f === 1 ? u : u.map((x) => f * x)];
  }));
  await writeUpdatedModel(base, dense, { scale: 0.2, outDir: join(work, "dense") });
  assert.deepEqual(
    await Deno.readFile(join(work, "sparse", "model.safetensors")),
    await Deno.readFile(join(work, "dense", "model.safetensors")),
  );
  await Deno.remove(work, { recursive: true });
});

Deno.test("measurePeers() gives the same losses with θ' replaced in one session's graph as with a copy per peer", async () => {
  const base = await checkModel(await tinyModel("llama-bf16-untied"));
  const layout = layoutOf(base, { chunk: 8, topk: 4, bins: 8, range: 6 });
  const rng = new Rng(31);
  const meta = { window: 0, base: "A".repeat(43) + "=", codec: layout.codec };
  const peers = [3, 5].map((uid, i) => {
    const wire = new Map(layout.parameters.map((p) => {
      const n = p.geometry.shape.reduce((a, b) => a * b, 1);
      return [p.name, compressParameter(rng.normals(n, 0.4), p.geometry.shape, layout.codec)];
    }));
    const factors = new Map(layout.parameters.map((p, j) => [p.name, (i + j) % 2 === 0 ? 1 : 0.6]));
    return { uid, submission: readSubmission(encodeSubmission(layout, wire, meta), layout), factors };
  });
  const sequences = await evalSequences(24, 6);
  const own = new Map([[3, sequences.slice(0, 2)], [5, sequences.slice(2, 4)]]);
  const work = await tempDir("sn9-measure-");
  const measure = (apply: "graph" | "copy") =>
    measurePeers(base, {
      layout,
      peers,
      own,
      random: sequences.slice(4),
      scale: 0.2,
      settings: { batchSize: 2, apply },
      workDir: work,
    });
  const graph = await measure("graph"), copy = await measure("copy");
  assert.equal(graph.randomBefore, copy.randomBefore);
  assert.equal(graph.peers.length, 2);
  for (const [i, g] of graph.peers.entries()) {
    const c = copy.peers[i];
    assert.equal(g.uid, c.uid);
    assert.equal(g.ownBefore, c.ownBefore);
    assert.ok(Math.abs(g.ownAfter - g.ownBefore) > 1e-3, "the update moves the loss, or the comparison proves nothing");
    for (const k of ["ownAfter", "randomAfter"] as const) {
      assert.ok(Math.abs(g[k] - c[k]) <= 1e-6 * Math.abs(c[k]), `uid ${g.uid} ${k}: graph ${g[k]}, copy ${c[k]}`);
    }
  }
  assert.deepEqual([...Deno.readDirSync(work)], [], "the copies are removed");
  await Deno.remove(work, { recursive: true });
});
