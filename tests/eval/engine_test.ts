import assert from "node:assert/strict";
import { checkModel, createLossSession, evaluateLosses } from "../../eval/mod.ts";
import { evalSequences, TINY_MODELS } from "../../fixtures/mod.ts";
import { referenceForward } from "../reference/forward.ts";
import { tinyModel } from "../helpers/models.ts";

/** Stated tolerance: float32 engine against the float64 reference. */
const REL_TOL = 1e-4;
const T = 40; // longer than Mistral's sliding window of 8, so the window matters

for (const def of TINY_MODELS) {
  Deno.test(`engine losses match the float64 reference: ${def.name}`, async () => {
    const dir = await tinyModel(def.name);
    const sequences = await evalSequences(T, 3);
    const session = await createLossSession(await checkModel(dir), { maxSequenceLength: 64 });
    const got = await evaluateLosses(session, sequences, { batchSize: 2 });
    const { losses: want, argmax } = await referenceForward(dir, sequences);
    const rel = got.map((g, i) => Math.abs(g - want[i]) / Math.abs(want[i]));
    console.log(`${def.name}: max relative difference ${Math.max(...rel).toExponential(2)} (tolerance ${REL_TOL})`);
    for (let i = 0; i < got.length; i++) {
      assert.ok(rel[i] <= REL_TOL, `sequence ${i}: engine ${got[i]}, reference ${want[i]}`);
    }
    const { nextTokens } = await session.run(sequences);
    assert.deepEqual(nextTokens.map((t) => t[0]), argmax, "greedy next token differs from the reference argmax");
    await session.release();
  });
}

Deno.test("engine results are identical run to run and independent of batch size", async () => {
  const dir = await tinyModel("llama-bf16-untied");
  const sequences = await evalSequences(48, 6);
  const model = await checkModel(dir);
  const a = await createLossSession(model, { maxSequenceLength: 64 });
  const first = await evaluateLosses(a, sequences, { batchSize: 3 });
  const second = await evaluateLosses(a, sequences, { batchSize: 3 });
  await a.release();
  const b = await createLossSession(model, { maxSequenceLength: 64 });
  const third = await evaluateLosses(b, sequences, { batchSize: 3 });
  const single = await evaluateLosses(b, sequences, { batchSize: 1 });
  await b.release();
  assert.deepEqual(second, first, "same session, same input");
  assert.deepEqual(third, first, "a new session of the same model");
  const diff = Math.max(...single.map((x, i) => Math.abs(x - first[i])));
  console.log(`batch 1 vs batch 3: max difference ${diff.toExponential(2)}`);
  assert.ok(diff < 1e-5);
});

Deno.test("session.run() rejects token ids outside the vocabulary and ragged batches", async () => {
  const session = await createLossSession(await checkModel(await tinyModel("gpt2-f32-tied")), {
    maxSequenceLength: 64,
  });
  await assert.rejects(() => session.run([[1, 2, 257]]), /token 257 is outside the vocabulary \[0, 257\)/);
  await assert.rejects(() => session.run([[1, 2, -1]]), /token -1 is outside/);
  await assert.rejects(() => session.run([[1, 2, 3], [1, 2]]), /sequence 1 has 2 tokens, expected 3/);
  await assert.rejects(() => session.run([Array(65).fill(1)]), /sequence length 65 is outside \[2, 64\]/);
  await session.release();
});

Deno.test("createLossSession() rejects a sequence length beyond the model's positions", async () => {
  const model = await checkModel(await tinyModel("llama-f32-tied"));
  await assert.rejects(
    () => createLossSession(model, { maxSequenceLength: 129 }),
    (e: Error) => e.name === "ModelRejected" && /has 128 positions, fewer than the sequence length 129/.test(e.message),
  );
});

Deno.test("session falls back to cpu with a message when a provider is missing", async () => {
  const messages: string[] = [];
  const session = await createLossSession(await checkModel(await tinyModel("gpt2-f32-tied")), {
    maxSequenceLength: 64,
    device: "cuda",
    log: (m) => messages.push(m),
  });
  assert.equal(session.device, "cpu");
  assert.match(messages.join("\n"), /device cuda: .*using cpu/);
  await session.release();
});

Deno.test("a head split into row slices gives the same losses, for short inputs too", async () => {
  const model = await checkModel(await tinyModel("gpt2-f32-untied"));
  const sequences = await evalSequences(40, 3);
  const whole = await createLossSession(model, { maxSequenceLength: 64, headChunks: 1 });
  const sliced = await createLossSession(model, { maxSequenceLength: 64, headChunks: 7 });
  const a = await evaluateLosses(whole, sequences, { batchSize: 3 });
  const b = await evaluateLosses(sliced, sequences, { batchSize: 3 });
  const diff = Math.max(...a.map((x, i) => Math.abs(x - b[i])));
  console.log(`7 head slices vs 1: max difference ${diff.toExponential(2)}`);
  assert.ok(diff < 1e-6);
  // 2 tokens → 1 row, fewer rows than slices: the empty slices are harmless.
  const tiny = [[5, 6]];
  assert.ok(Math.abs((await sliced.run(tiny)).losses[0] - (await whole.run(tiny)).losses[0]) < 1e-6);
  await whole.release();
  await sliced.release();
});
