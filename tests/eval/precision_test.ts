/**
 * The GPU paths' float16 compute, checked on the CPU (docs/gpu-precision.md): ONNX Runtime's CPU
 * provider runs a float16 graph (inserting float32 kernels where it has no float16 one, with every
 * float16 value rounded as stored), so the graph the GPU would run is checked here for every
 * architecture against the float64 reference. The head and the loss stay float32; the graph
 * really holds float16 values; runs are deterministic; float32 remains the CPU default.
 */
import assert from "node:assert/strict";
import { checkModel, compileModel, createLossSession, defaultCompute, evaluateLosses } from "../../eval/mod.ts";
import { evalSequences, fitText, QUALITY_CONFIG, qualityParameters, writeModelFiles } from "../../fixtures/mod.ts";
import { qualityModel, tinyModel } from "../helpers/models.ts";
import { tempDir } from "../helpers/temp.ts";
import { join } from "node:path";
import { BUNDLED_SCHEDULES, competitionAt, loadSchedule, scoreModel } from "../../src/mod.ts";
import { referenceForward } from "../reference/forward.ts";

/** float16 keeps 11 significant bits: measured errors are 1e-5 to 3e-4 on these models. */
const TOLERANCE = 2e-3;
const MODELS = [
  "gpt2-f32-untied",
  "gpt2-f16-tied",
  "llama-bf16-tied",
  "mistral-f32-head6",
  "qwen3-f32-untied",
  "gemma-bf16-tied",
  "gemma2-f32-untied",
  "phi-f32-untied",
  "phi3-bf16-tied",
  "gpt_neox-f32-untied",
  "gptj-bf16-untied",
  "falcon-new-arch-f32",
  "bart-f32-untied",
];

Deno.test("float16 compute agrees with the float64 reference within float16's precision, for every architecture", async () => {
  const sequences = await evalSequences(40, 3);
  let worst = 0;
  for (const name of MODELS) {
    const dir = await tinyModel(name);
    const model = await checkModel(dir);
    const session = await createLossSession(model, { maxSequenceLength: 64, compute: "float16" });
    const losses = await evaluateLosses(session, sequences, { batchSize: 3 });
    const again = await evaluateLosses(session, sequences, { batchSize: 3 });
    await session.release();
    const ref = (await referenceForward(dir, sequences)).losses;
    const diff = Math.max(...losses.map((x, i) => Math.abs(x - ref[i]) / ref[i]));
    worst = Math.max(worst, diff);
    console.log(`${name}: float16 compute, max relative difference ${diff.toExponential(2)} (tolerance ${TOLERANCE})`);
    assert.ok(diff < TOLERANCE, `${name}: ${losses} vs ${ref}`);
    assert.deepEqual(again, losses, "deterministic");
  }
  assert.ok(worst > 1e-6, `float16 must round something (worst ${worst}); else the graph is not float16`);
});

Deno.test("the float16 graph holds float16 weights and constants, and a float32 head and loss", async () => {
  const model = await checkModel(await tinyModel("llama-f32-untied"));
  const half = compileModel(model, 64, "loss", { compute: "float16" });
  const full = compileModel(model, 64, "loss");
  // A Cast node's `to` attribute: 1 = float32, 10 = float16 (onnx.proto TensorProto.DataType).
  assert.ok(countTo(half.bytes, 10) > 10, "weights are cast to float16");
  // The hidden states go back to float32 for the head (whose F32 weights are read as stored).
  assert.equal(countTo(half.bytes, 1), 1, "one Cast to float32: the hidden states before the head");
  assert.equal(countTo(full.bytes, 10), 0, "the float32 graph has no float16");
  assert.equal(defaultCompute("cpu"), "float32");
  assert.equal(defaultCompute("cuda"), "float16");
  assert.equal(defaultCompute("webgpu"), "float16");
});

/** Cast attributes `to = n` in an encoded model: the attribute is "to" (field 1), int n (field 3), type INT (field 20 = 2). */
function countTo(bytes: Uint8Array, n: number): number {
  const pattern = [0x0a, 0x02, 0x74, 0x6f, 0x18, n, 0xa0, 0x01, 0x02];
  let count = 0;
  for (let i = 0; i + pattern.length <= bytes.length; i++) {
    if (pattern.every((b, j) => bytes[i + j] === b)) count++;
  }
  return count;
}

Deno.test("a model whose activations overflow float16 is scored again in float32, not rejected", async () => {
  // The bigram model reads wte[x] = 10·e_x through LayerNorms, which do not care about scale;
  // at 10⁵ the embedding overflows float16 (largest 65504) and the float16 loss is not finite.
  const params = qualityParameters("bigram", await fitText());
  for (const p of params) if (p.name === "transformer.wte.weight") p.data.forEach((v, i) => (p.data[i] = v * 1e4));
  const dir = join(await tempDir(), "overflow");
  await writeModelFiles(dir, { config: QUALITY_CONFIG, tensors: params, dtype: "F32" });
  const plain = await qualityModel("bigram");
  const competition = competitionAt(await loadSchedule(BUNDLED_SCHEDULES.local), 0, 1)!;
  const sequences = (await evalSequences(128, 4)).map((s) => Int32Array.from(s));
  const tasks = [{ task: competition.tasks[0], sequences, manifest: {} as never }];
  const lines: string[] = [];
  const settings = {
    device: "cpu" as const,
    batchSize: 2,
    timeCapMs: 600_000,
    eosTokenId: 256,
    log: (l: string) => lines.push(l),
  };
  const half = await scoreModel(dir, { competition, tasks }, { ...settings, compute: "float16" });
  const full = await scoreModel(plain, { competition, tasks }, settings);
  assert.equal(half.status, "ok", half.reason ?? "");
  assert.ok(lines.some((l) => /the float16 loss is not finite; scoring again in float32/.test(l)), lines.join("\n"));
  assert.ok(Math.abs(half.loss! - full.loss!) / full.loss! < 1e-4, `${half.loss} vs ${full.loss}`);
});
