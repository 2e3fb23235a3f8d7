import assert from "node:assert/strict";
import { checkModel, createLossSession, evaluateLosses } from "../../eval/mod.ts";
import { evalSequences, QUALITIES } from "../../fixtures/mod.ts";
import { referenceForward } from "../reference/forward.ts";
import { qualityModel } from "../helpers/models.ts";

Deno.test("quality models rank random > unigram > bigram on held-out text, by clear margins", async () => {
  const sequences = await evalSequences(128, 6);
  const means: Record<string, number> = {};
  for (const q of QUALITIES) {
    const dir = await qualityModel(q);
    const session = await createLossSession(await checkModel(dir), { maxSequenceLength: 128 });
    const losses = await evaluateLosses(session, sequences, { batchSize: 3 });
    await session.release();
    means[q] = losses.reduce((a, b) => a + b, 0) / losses.length;
    // One sequence through the reference too: the constructions hold in float64 as well.
    const ref = await referenceForward(dir, sequences.slice(0, 1));
    assert.ok(
      Math.abs(ref.losses[0] - losses[0]) / ref.losses[0] < 1e-4,
      `${q}: ${losses[0]} vs reference ${ref.losses[0]}`,
    );
  }
  console.log("mean losses:", JSON.stringify(means));
  // Random weights with std 0.02 give near-uniform predictions: about ln(257) = 5.55 nats.
  assert.ok(Math.abs(means.random - Math.log(257)) < 0.2);
  assert.ok(means.random - means.unigram > 1.5);
  assert.ok(means.unigram - means.bigram > 0.2);
});
