import assert from "node:assert/strict";
import { benchModel, flopsPerToken, lossFromLogits, median, type ModelBenchResult } from "../../eval/bench/mod.ts";
import { printEngineReport } from "../../tasks/bench/engine_report.ts";
import { checkModel } from "../../eval/mod.ts";
import { tinyModel } from "../helpers/models.ts";

Deno.test("flopsPerToken() counts matmul weights (head included, lookups excluded) plus 4·L·T·d", async () => {
  // gpt2-f32-tied: V=257, C=32, L=2, 128 positions, inner 128. Per layer: ln_1 64, c_attn 32·96+96,
  // c_proj 32·32+32, ln_2 64, c_fc 32·128+128, mlp.c_proj 128·32+32 = 12704; ×2 + ln_f 64 = 25472.
  const model = await checkModel(await tinyModel("gpt2-f32-tied"));
  const { flopsPerToken: all, nonEmbeddingFlopsPerToken: body } = flopsPerToken(model, 16);
  const attention = 4 * 2 * 16 * 32;
  assert.equal(body, 2 * 25472 + attention);
  assert.equal(all, 2 * (25472 + 257 * 32) + attention);
});

Deno.test("lossFromLogits() is mean −log softmax of the next token", () => {
  // One sequence [0, 1, 1], V = 2. Position 0 logits [0, ln 3] → p(1) = 3/4; position 1 logits [0, 0] → p(1) = 1/2.
  const logits = new Float32Array([0, Math.log(3), 0, 0, 9, 9]);
  const [loss] = lossFromLogits(logits, [[0, 1, 1]], 2);
  assert.ok(Math.abs(loss - (-Math.log(3 / 4) - Math.log(1 / 2)) / 2) < 1e-7);
});

Deno.test("benchModel() measures a tiny model; both paths give the same losses", async () => {
  const r = await benchModel(await tinyModel("llama-bf16-untied"), {
    sequenceLength: 64,
    batchSize: 2,
    reps: 2,
    loads: 2,
  });
  assert.equal(r.runMs.length, 2);
  assert.equal(r.loadMs.length, 2);
  assert.ok(r.tokensPerSecond > 0 && r.logitsTokensPerSecond > 0);
  assert.ok(r.peakRssBytes > 0);
  console.log(`in-graph vs logits-out losses: max difference ${r.pathsMaxDiff.toExponential(2)}`);
  assert.ok(r.pathsMaxDiff < 1e-4);
});

Deno.test("median() is the middle value, the mean of the two middle ones for an even count", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
});

Deno.test("the engine report gives tokens/s and MFU as min / median / max over the timed runs", () => {
  // B·T = 100 tokens; runs of 100, 200 and 400 ms are 1000, 500 and 250 tokens/s; at 1 GFLOP a
  // token against a 1000 GFLOP/s peak those are 100%, 50% and 25% MFU.
  const result: ModelBenchResult = {
    model: "m",
    architecture: "GPT2LMHeadModel",
    parameters: 1e6,
    sequenceLength: 100,
    batchSize: 1,
    checkMs: 1,
    loadMs: [10],
    runMs: [200, 100, 400],
    tokensPerSecond: 500,
    flopsPerToken: 1e9,
    nonEmbeddingFlopsPerToken: 5e8,
    peakRssBytes: 1 << 20,
    logitsRunMs: [300],
    logitsTokensPerSecond: 333,
    pathsMaxDiff: 0,
  };
  const peak = { gflops: 1000, shape: [1, 1, 1] as [number, number, number] };
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => lines.push(line);
  try {
    printEngineReport({ before: peak, after: peak }, { results: [result], fileBytes: new Map([["m", 4e6]]) }, false);
  } finally {
    console.log = log;
  }
  const row = (label: string) => lines.find((l) => l.trimStart().startsWith(label)) ?? "";
  assert.match(row("tokens/s"), /min 250 \/ median 500 \/ max 1000 over 3 runs$/);
  assert.match(row("MFU vs peak"), /min 25\.0% \/ median 50\.0% \/ max 100\.0% over 3 runs$/);
  assert.match(row("MFU, head excluded"), /25\.0%$/);
});
