import assert from "node:assert/strict";
import { benchModel, flopsPerToken, lossFromLogits } from "../../eval/bench/mod.ts";
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
