import assert from "node:assert/strict";
import {
  barToBeat,
  baselineBar,
  competitiveUids,
  computeWins,
  epsilonAt,
  type EpsilonDecay,
  explainOutcomes,
  lossToBeat,
  recordCompetitionWeights,
  roundHalfEven,
  scoreCompetition,
  softmaxWeights,
  subnetWeights,
  toU16Weights,
} from "../../src/mod.ts";

const DECAY: EpsilonDecay = { start: 0.005, end: 0.0001, decayBlocks: 100 };
const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} ≠ ${b}`);

Deno.test("epsilonAt(): start at commit, linear mid-decay, end after decay, start for a future commit", () => {
  close(epsilonAt(DECAY, 10, 10), 0.005);
  close(epsilonAt(DECAY, 60, 10), 0.005 - 0.5 * 0.0049); // 0.00255
  close(epsilonAt(DECAY, 110, 10), 0.0001);
  close(epsilonAt(DECAY, 5000, 10), 0.0001);
  close(epsilonAt(DECAY, 5, 10), 0.005);
});

Deno.test("a newcomer must beat a fully decayed incumbent's discounted loss", () => {
  const incumbent = { uid: 1, block: 0, loss: 3.0 };
  // At block 100 the incumbent's epsilon is 0.0001: its loss counts as 3 × 0.9999 = 2.9997.
  const winner = scoreCompetition([incumbent, { uid: 2, block: 100, loss: 2.9996 }], { decay: DECAY, block: 100 });
  assert.deepEqual(winner.map((o) => [o.uid, o.winRate]), [[1, 0], [2, 1]]);
  const loser = scoreCompetition([incumbent, { uid: 2, block: 100, loss: 2.9997 }], { decay: DECAY, block: 100 });
  assert.equal(loser[1].excluded, "not-competitive"); // 2.9997 is not < 2.9997
  assert.equal(loser[0].weight, 1);
  // Mid-decay (block 50, epsilon 0.00255): 3 × 0.99745 = 2.99235, so 2.995 competes but loses.
  const mid = scoreCompetition([incumbent, { uid: 2, block: 50, loss: 2.995 }], { decay: DECAY, block: 50 });
  assert.deepEqual(mid.map((o) => [o.uid, o.wins, o.excluded]), [[1, 1, undefined], [2, 0, undefined]]);
  close(mid[0].weight, 1 / (1 + Math.exp(-100)));
  close(lossToBeat([incumbent], DECAY, 50), 3 * (1 - 0.00255));
});

Deno.test("a spoiler that can never win is filtered out and takes no wins from others", () => {
  const a = { uid: 1, block: 10, loss: 3.0 },
    spoiler = { uid: 2, block: 20, loss: 3.2 },
    c = { uid: 3, block: 30, loss: 2.9 };
  assert.deepEqual(competitiveUids([a, spoiler, c], DECAY), [1, 3]);
  const out = scoreCompetition([c, spoiler, a], { decay: DECAY, block: 40 });
  // Among {a, c}: c beats a (a's epsilon at 40 is 0.005 − 0.3·0.0049 = 0.00353; 3 × 0.99647 > 2.9).
  assert.deepEqual(out.map((o) => [o.uid, o.wins, o.winRate, o.excluded]), [[1, 0, 0, undefined], [
    2,
    0,
    0,
    "not-competitive",
  ], [3, 1, 1, undefined]]);
  // Had the spoiler been counted, a would have beaten it and had win rate 1/2.
  const unfiltered = computeWins([a, spoiler, c], { decay: DECAY, block: 40 });
  assert.equal(unfiltered[0].winRate, 0.5);
});

Deno.test("equal blocks give no time advantage; equal losses are a win for neither", () => {
  const tie = scoreCompetition([{ uid: 1, block: 10, loss: 3.0 }, { uid: 2, block: 10, loss: 3.0 }], {
    decay: DECAY,
    block: 20,
  });
  assert.deepEqual(tie.map((o) => [o.wins, o.weight]), [[0, 0.5], [0, 0.5]]);
  const split = scoreCompetition([{ uid: 1, block: 10, loss: 3.0 }, { uid: 2, block: 10, loss: 2.999 }], {
    decay: DECAY,
    block: 20,
  });
  assert.deepEqual(split.map((o) => o.wins), [0, 1]);
});

Deno.test("a failed (infinite) loss gets nothing and does not count as an opponent", () => {
  const out = scoreCompetition([{ uid: 1, block: 5, loss: Infinity }, { uid: 2, block: 10, loss: 3 }, {
    uid: 3,
    block: 11,
    loss: 2.5,
  }], { decay: DECAY, block: 20 });
  assert.deepEqual(out.map((o) => [o.uid, o.excluded, o.wins, o.winRate]), [[1, "failed", 0, 0], [2, undefined, 0, 0], [
    3,
    undefined,
    1,
    1,
  ]]);
  assert.equal(out[0].weight, 0);
  const allFailed = scoreCompetition([{ uid: 1, block: 5, loss: Infinity }], { decay: DECAY, block: 20 });
  assert.equal(allFailed[0].weight, 0);
});

Deno.test("a single model wins outright", () => {
  const [only] = scoreCompetition([{ uid: 9, block: 3, loss: 4.2 }], { decay: DECAY, block: 20 });
  assert.deepEqual([only.winRate, only.weight], [1, 1]);
});

Deno.test("softmaxWeights() uses temperature 0.01", () => {
  const w = softmaxWeights(new Map([[1, 1], [2, 0.99], [3, 0]]));
  const z = 1 + Math.exp(-1) + Math.exp(-100);
  close(w.get(1)!, 1 / z);
  close(w.get(2)!, Math.exp(-1) / z);
});

Deno.test("recordCompetitionWeights(): a model appears, disappears (halves) and returns", () => {
  let state = recordCompetitionWeights({}, 1, new Map([[1, 1]]));
  assert.deepEqual(state[1], { 1: 1 });
  state = recordCompetitionWeights(state, 1, new Map([[1, 0.5], [2, 0.5]]));
  assert.deepEqual(state[1], { 1: 0.75, 2: 0.25 });
  state = recordCompetitionWeights(state, 1, new Map([[2, 1]]));
  assert.deepEqual(state[1], { 1: 0.375, 2: 0.625 });
  state = recordCompetitionWeights(state, 1, new Map([[1, 2]])); // normalised to 1 first
  assert.deepEqual(state[1], { 1: 0.6875, 2: 0.3125 });
});

Deno.test("subnetWeights() weights competitions by reward share and renormalises", () => {
  const state = { 1: { 1: 0.75, 2: 0.25 }, 2: { 3: 1 } };
  const both = subnetWeights(state, new Map([[1, 0.6], [2, 0.4]]));
  assert.deepEqual([...both.keys()], [1, 2, 3]);
  close(both.get(1)!, 0.45);
  close(both.get(2)!, 0.15);
  close(both.get(3)!, 0.4);
  const oneMissing = subnetWeights({ 1: state[1] }, new Map([[1, 0.6], [2, 0.4]]));
  close(oneMissing.get(1)!, 0.75);
  close(oneMissing.get(2)!, 0.25);
});

Deno.test("roundHalfEven() rounds ties to the even neighbour", () => {
  assert.deepEqual([0.5, 1.5, 2.5, 3.5, 32766.5, 32767.5, 2.4999, 2.5001].map(roundHalfEven), [
    0,
    2,
    2,
    4,
    32766,
    32768,
    2,
    3,
  ]);
});

Deno.test("toU16Weights() max-upscales, rounds half to even, drops zeros, sorts by uid", () => {
  // 0.5 × 65535 = 32767.5 → 32768 (bittensor's weight_utils.convert_weights_and_uids_for_emit: max-upscale to 65535, then round).
  assert.deepEqual(toU16Weights(new Map([[1, 0.5], [0, 1]])), { uids: [0, 1], weights: [65535, 32768] });
  // 0.25 / 0.5 = 0.5 again; 1e-6 / 0.5 × 65535 = 0.13 → 0, dropped; 0 dropped.
  assert.deepEqual(toU16Weights(new Map([[7, 0.25], [3, 0.5], [4, 1e-6], [5, 0]])), {
    uids: [3, 7],
    weights: [65535, 32768],
  });
  assert.deepEqual(toU16Weights(new Map([[1, 0]])), { uids: [], weights: [] });
  assert.deepEqual(toU16Weights(new Map()), { uids: [], weights: [] });
  assert.throws(() => toU16Weights(new Map([[1, -0.1]])), /not a finite non-negative number/);
  assert.throws(() => toU16Weights(new Map([[1, NaN]])), /not a finite/);
});

Deno.test("scoring rejects duplicate uids and NaN losses", () => {
  assert.throws(
    () => scoreCompetition([{ uid: 1, block: 1, loss: 2 }, { uid: 1, block: 2, loss: 3 }], { decay: DECAY, block: 5 }),
    /uid 1 appears twice/,
  );
  assert.throws(() => scoreCompetition([{ uid: 1, block: 1, loss: NaN }], { decay: DECAY, block: 5 }), /loss NaN/);
});

Deno.test("adapter competitions: an adapter must beat the base's loss discounted by the base's epsilon", () => {
  // The base counts as committed at block 0; at block 50 its epsilon is 0.00255, so the bar is
  // 2 × (1 − 0.00255) = 1.9949. uid 1 clears it; uid 2 improves (1.9950 < 2) but not by epsilon;
  // uid 3 is worse than the base; uid 4 failed; uid 5 copies uid 1 later.
  const baseline = { loss: 2, block: 0 };
  const out = scoreCompetition([
    { uid: 1, block: 10, loss: 1.9 },
    { uid: 2, block: 10, loss: 1.995 },
    { uid: 3, block: 10, loss: 2.1 },
    { uid: 4, block: 10, loss: Infinity },
    { uid: 5, block: 20, loss: 1.9 },
  ], { decay: DECAY, block: 50, baseline });
  assert.deepEqual(out.map((o) => [o.uid, o.excluded ?? "in", o.weight]), [
    [1, "in", 1],
    [2, "no-improvement", 0],
    [3, "no-improvement", 0],
    [4, "failed", 0],
    [5, "not-competitive", 0],
  ]);
  close(baselineBar(baseline, DECAY, 50), 2 * (1 - 0.00255));
  const why = explainOutcomes(out, { decay: DECAY, block: 50, baseline });
  assert.equal(
    why.get(2),
    "improves on the base by 0.0050 (0.25%), not by its epsilon 0.00255: needs a loss below 1.9949; no weight",
  );
  assert.equal(why.get(3), "no better than the base (loss 2.0000, worse by 0.1000): no weight");
  assert.match(why.get(5)!, /same loss as uid 1, committed earlier/);
  // Without a baseline the same losses all take part (uid 3 is simply worse).
  const plain = scoreCompetition([{ uid: 2, block: 10, loss: 1.995 }, { uid: 3, block: 10, loss: 2.1 }], {
    decay: DECAY,
    block: 50,
  });
  assert.deepEqual(plain.map((o) => o.excluded), [undefined, undefined]);
  // No adapter beats the base: nobody is paid by this competition.
  const none = scoreCompetition([{ uid: 3, block: 10, loss: 2.1 }], { decay: DECAY, block: 50, baseline });
  assert.equal(none[0].weight, 0);
});

Deno.test("barToBeat() takes the bar from the competing leader, never from a later copy's larger epsilon", () => {
  const leader = { uid: 1, block: 0, loss: 3.0 };
  const copy = { uid: 2, block: 90, loss: 3.0 };
  // At block 100 the leader's epsilon is 0.0001 (bar 3 × 0.9999 = 2.9997); the copy's would be
  // 0.005 − 0.1 × 0.0049 = 0.00451 (2.98647), but a copy takes no part in the win count.
  const bar = barToBeat([copy, leader], DECAY, 100);
  close(bar.loss, 2.9997);
  assert.equal(bar.setBy?.uid, 1);
  close(bar.epsilon, 0.0001);
  assert.deepEqual(barToBeat([{ uid: 3, block: 0, loss: Infinity }], DECAY, 100), {
    loss: Infinity,
    setBy: null,
    epsilon: 0,
  });
});
