/**
 * Error feedback (docs/pseudograd.md, "Error feedback"; Templar `neurons.py`): e ← β·e + lr·Δ, send decode(compress(e)),
 * e ← e − sent. Checked by its invariant: what was sent plus what is kept is β·e + lr·Δ, and a
 * pseudo-gradient repeated over windows is sent whole in the end (the part left out one window
 * goes out in a later one).
 */
import assert from "node:assert/strict";
import { Rng } from "../../fixtures/mod.ts";
import { compressWithFeedback, denseUpdate, submissionLayout } from "../../src/pseudograd/mod.ts";

const CODEC = { chunk: 4, topk: 2, bins: 4, range: 6 };
const layout = submissionLayout([{ name: "w", shape: [4, 8] }], CODEC);
const p = layout.parameters[0];

Deno.test("compressWithFeedback(): sent + kept = β·e + lr·Δ, element by element", () => {
  const rng = new Rng(7);
  const delta = rng.normals(32, 1), e = rng.normals(32, 0.3);
  const step = compressWithFeedback(layout, new Map([["w", delta]]), new Map([["w", e]]), { beta: 0.95, lr: 1.0 });
  const sent = denseUpdate(p, step.parameters.get("w")!), kept = step.buffer.get("w")!;
  let worst = 0;
  for (let i = 0; i < 32; i++) worst = Math.max(worst, Math.abs(sent[i] + kept[i] - (0.95 * e[i] + delta[i])));
  console.log(`max |sent + kept − (βe + Δ)| = ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-6);
  // [4, 8] in 4 × 4 chunks: 2 chunks, top-2 of each, so 4 positions are sent and the rest kept whole.
  assert.equal(sent.filter((x) => x !== 0).length, 4);
  for (let i = 0; i < 32; i++) if (sent[i] === 0) assert.ok(Math.abs(kept[i] - (0.95 * e[i] + delta[i])) < 1e-6);
});

Deno.test("compressWithFeedback(): the same Δ over windows is sent whole in the end", () => {
  const delta = new Rng(11).normals(32, 1);
  let buffer = new Map<string, Float32Array>(), total = new Float64Array(32);
  const meanError: number[] = [];
  for (let w = 1; w <= 160; w++) {
    const step = compressWithFeedback(layout, new Map([["w", delta]]), buffer, { beta: 1, lr: 1 });
    const sent = denseUpdate(p, step.parameters.get("w")!);
    total = total.map((t, i) => t + sent[i]);
    buffer = step.buffer;
    if (w === 20 || w === 160) meanError.push(Math.max(...total.map((t, i) => Math.abs(t / w - delta[i]))));
  }
  // With β = 1 nothing decays: after n windows Σ sent = n·Δ − e_n, and e_n stays bounded, so the
  // mean sent per window approaches Δ as 1/n.
  const kept = buffer.get("w")!;
  const gap = Math.max(...total.map((t, i) => Math.abs(t - 160 * delta[i] + kept[i])));
  console.log(
    `invariant gap ${gap.toExponential(2)}; max |mean sent − Δ| ${meanError[0].toFixed(4)} after 20 windows, ` +
      `${meanError[1].toFixed(4)} after 160`,
  );
  assert.ok(gap < 1e-3);
  assert.ok(meanError[1] < meanError[0] / 4, "every element of Δ goes out in the end");
});

Deno.test("compressWithFeedback() refuses a buffer of another shape, naming the parameter", () => {
  assert.throws(
    () => compressWithFeedback(layout, new Map([["w", new Float32Array(32)]]), new Map([["w", new Float32Array(8)]])),
    /parameter "w": the buffer holds 8 values, the model 32/,
  );
});

Deno.test("compressWithFeedback() reports each parameter as it is done, and defaults to Templar's β 0.95 and lr 1", () => {
  const two = submissionLayout([{ name: "a", shape: [4, 8] }, { name: "b", shape: [8] }], CODEC);
  const delta = new Map([["a", new Rng(3).normals(32, 1)], ["b", new Rng(4).normals(8, 1)]]);
  const e = new Map([["a", new Rng(5).normals(32, 0.3)], ["b", new Rng(6).normals(8, 0.3)]]);
  const seen: string[] = [];
  const step = compressWithFeedback(two, delta, e, {
    onParameter: (done, total, name) => seen.push(`${done}/${total} ${name}`),
  });
  assert.deepEqual(seen, ["1/2 a", "2/2 b"]);
  const explicit = compressWithFeedback(two, delta, e, { beta: 0.95, lr: 1 });
  assert.deepEqual(step.buffer, explicit.buffer, "the defaults are β 0.95, lr 1");
});
