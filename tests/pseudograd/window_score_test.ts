/**
 * One window's scores, hand-checked from the definitions in docs/pseudograd.md, "Scoring a window":
 * g = (L_rb − L_ra)/L_rb, b = +1 when the own relative gain beats g, B ← 0.95·B + 0.05·b,
 * final = ordinal · max(0, B); the ratings are the worked window 1 of "OpenSkill" (three new peers with
 * g = 0.0021, 0.0035, −0.0004), whose numbers are copied from that document.
 */
import assert from "node:assert/strict";
import { scoreWindow, windowWeights } from "../../src/pseudograd/mod.ts";

const near = (a: number, b: number, what: string, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

Deno.test("scoreWindow(): OpenSkill's worked window 1 from losses, with b, B and final by hand", () => {
  // L_rb = 4; g = 0.0021 → L_ra = 4·(1 − 0.0021) = 3.9916; 0.0035 → 3.986; −0.0004 → 4.0016.
  const scores = scoreWindow([
    { uid: 1, ownBefore: 3, ownAfter: 2.99, randomAfter: 3.9916 }, // own gain 0.00333 > 0.0021: b = +1
    { uid: 2, ownBefore: 3, ownAfter: 2.98, randomAfter: 3.986 }, // 0.00667 > 0.0035: +1
    { uid: 3, ownBefore: 3, ownAfter: 3.0, randomAfter: 4.0016 }, // 0 > −0.0004: +1
  ], { randomBefore: 4, standing: new Map() });
  const [a, b, c] = scores;
  near(a.g, 0.0021, "a g", 1e-12);
  near(b.g, 0.0035, "b g", 1e-12);
  near(c.g, -0.0004, "c g", 1e-12);
  for (const s of scores) assert.equal(s.b, 1);
  for (const s of scores) near(s.binary, 0.05, "B = 0.95·0 + 0.05·1");
  near(a.mu, 25.614062, "a μ");
  near(a.ordinal, 1.127643, "a ordinal");
  near(b.ordinal, 2.695645, "b ordinal");
  near(c.ordinal, -2.556731, "c ordinal");
  // The worked finals with B = 0.05 is 0.0564 and 0.1348, and c earns 0. Templar's final is
  // ordinal · max(0, B) unclamped (neurons/validator.py), so c's is negative and only its weight is 0.
  near(a.final, 0.0564, "a final", 1e-4);
  near(b.final, 0.1348, "b final", 1e-4);
  near(c.final, -2.556731 * 0.05, "c final");
  const w = windowWeights(new Map(scores.map((s) => [s.uid, s])), 1);
  near(w.get(1)!, 0.0564 / (0.0564 + 0.1348), "a's share", 1e-3);
  assert.equal(w.get(3), 0);
});

Deno.test("scoreWindow(): b = −1 when the own gain does not beat the random gain; B carries over", () => {
  const [s] = scoreWindow([{ uid: 5, ownBefore: 2, ownAfter: 1.999, randomAfter: 3.9 }], {
    randomBefore: 4,
    standing: new Map([[5, { mu: 30, sigma: 2, binary: 0.5, final: 1 }]]),
  });
  near(s.g, 0.025, "g", 1e-12); // own gain 0.0005 < 0.025
  assert.equal(s.b, -1);
  near(s.binary, 0.95 * 0.5 - 0.05, "B");
  // One peer: no match, the rating is unchanged.
  assert.deepEqual([s.mu, s.sigma], [30, 2]);
  near(s.final, (30 - 6) * (0.95 * 0.5 - 0.05), "final");
});

Deno.test("scoreWindow(): a zero update scores g = 0 exactly, and ties follow the 6.2.0 semantics", () => {
  const scores = scoreWindow([
    { uid: 1, ownBefore: 3, ownAfter: 3, randomAfter: 4 },
    { uid: 2, ownBefore: 3, ownAfter: 3, randomAfter: 4 },
  ], { randomBefore: 4, standing: new Map() });
  assert.equal(scores[0].g, 0);
  assert.equal(scores[0].b, -1, "0 > 0 is false");
  assert.equal(scores[0].mu, scores[1].mu, "a tie moves both alike");
});

Deno.test("scoreWindow() refuses non-finite losses and repeated uids", () => {
  assert.throws(() => scoreWindow([], { randomBefore: 0, standing: new Map() }), /random data's loss before 0/);
  assert.throws(
    () =>
      scoreWindow([{ uid: 1, ownBefore: 3, ownAfter: NaN, randomAfter: 4 }], { randomBefore: 4, standing: new Map() }),
    /uid 1: ownAfter NaN is not a finite loss/,
  );
  const p = { uid: 1, ownBefore: 3, ownAfter: 3, randomAfter: 4 };
  assert.throws(() => scoreWindow([p, p], { randomBefore: 4, standing: new Map() }), /a uid appears twice/);
});
