import assert from "node:assert/strict";
import {
  type EpsilonDecay,
  recordCompetitionWeights,
  scoreCompetition,
  type ScoredModel,
  subnetWeights,
  toU16Weights,
} from "../../src/mod.ts";
import { Rng } from "../../fixtures/mod.ts";

const TRIALS = 300;

/** Random competitions: few models, clustered losses, shared blocks, some failures. */
function randomCase(rng: Rng): { models: ScoredModel[]; decay: EpsilonDecay; block: number } {
  const n = 1 + Math.floor(rng.uniform() * 8);
  const uids = [...Array(64).keys()].sort(() => rng.uniform() - 0.5).slice(0, n);
  const models = uids.map((uid) => ({
    uid,
    block: 10 + Math.floor(rng.uniform() * 5) * 10,
    loss: rng.uniform() < 0.15 ? Infinity : 3 + Math.round(rng.uniform() * 20) / 1000,
  }));
  const start = rng.uniform() * 0.01;
  return {
    models,
    decay: { start, end: start * rng.uniform(), decayBlocks: 1 + Math.floor(rng.uniform() * 100) },
    block: 50 + Math.floor(rng.uniform() * 100),
  };
}

function shuffle<T>(xs: T[], rng: Rng): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

Deno.test(`property (${TRIALS} cases): weights are non-negative and sum to 1 whenever a model is valid`, () => {
  const rng = new Rng(11);
  for (let t = 0; t < TRIALS; t++) {
    const { models, decay, block } = randomCase(rng);
    const out = scoreCompetition(models, { decay, block });
    const sum = out.reduce((s, o) => s + o.weight, 0);
    assert.ok(out.every((o) => o.weight >= 0));
    if (models.some((m) => Number.isFinite(m.loss))) assert.ok(Math.abs(sum - 1) < 1e-12, `case ${t}: sum ${sum}`);
    else assert.equal(sum, 0);
  }
});

Deno.test(`property (${TRIALS} cases): permuting the input changes no result`, () => {
  const rng = new Rng(12);
  for (let t = 0; t < TRIALS; t++) {
    const { models, decay, block } = randomCase(rng);
    const a = scoreCompetition(models, { decay, block });
    const b = scoreCompetition(shuffle(models, rng), { decay, block });
    assert.deepEqual(b, a, `case ${t}`);
    const weights = new Map(a.map((o) => [o.uid, o.weight]));
    const shuffled = new Map(shuffle([...weights], rng));
    assert.deepEqual(toU16Weights(shuffled), toU16Weights(weights));
    const state = recordCompetitionWeights({}, 1, weights);
    assert.deepEqual(
      subnetWeights(recordCompetitionWeights({}, 1, shuffled), new Map([[1, 1]])),
      subnetWeights(state, new Map([[1, 1]])),
    );
  }
});

Deno.test(`property (${TRIALS} cases): a model strictly better and strictly older than all others gets the largest weight`, () => {
  const rng = new Rng(13);
  for (let t = 0; t < TRIALS; t++) {
    const { models, decay, block } = randomCase(rng);
    const finite = models.filter((m) => Number.isFinite(m.loss));
    const champion = {
      uid: 100,
      block: Math.min(...models.map((m) => m.block)) - 1,
      loss: Math.min(3, ...finite.map((m) => m.loss)) - 0.001,
    };
    const out = scoreCompetition([...models, champion], { decay, block });
    const best = out.find((o) => o.uid === 100)!;
    assert.equal(best.winRate, 1, `case ${t}`);
    for (const o of out) {
      if (o.uid !== 100) {
        assert.ok(o.weight < best.weight, `case ${t}: uid ${o.uid} weight ${o.weight} ≥ ${best.weight}`);
      }
    }
  }
});
