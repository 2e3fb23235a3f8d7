/**
 * OpenSkill's Plackett–Luce update against the two worked windows of docs/pseudograd.md, "OpenSkill" (computed there by hand
 * from Weng–Lin's Algorithm 4 and matched to openskill.py 6.1.3 and openskill.js 5.0.1 to 1e-12),
 * and against npm `openskill@5.0.1` itself on random matches with distinct scores, ties and exact
 * zeros (the 6.2.0 semantics this project states there).
 */
import assert from "node:assert/strict";
import { rate as openskillRate, rating as openskillRating } from "openskill";
import { ordinal, PRIOR_RATING, ratePlackettLuce, type Rating } from "../../src/pseudograd/mod.ts";

const near = (actual: number, expected: number, what: string, tol = 1e-6) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);

Deno.test("worked window 1: three new peers ranked b, a, c", () => {
  const [a, b, c] = ratePlackettLuce([PRIOR_RATING, PRIOR_RATING, PRIOR_RATING], [0.0021, 0.0035, -0.0004]);
  near(a.mu, 25.614062, "a μ");
  near(a.sigma, 8.162140, "a σ");
  near(ordinal(a), 1.127643, "a ordinal");
  near(b.mu, 27.456249, "b μ");
  near(b.sigma, 8.253535, "b σ");
  near(ordinal(b), 2.695645, "b ordinal");
  near(c.mu, 21.929688, "c μ");
  near(c.sigma, 8.162140, "c σ");
  near(ordinal(c), -2.556731, "c ordinal");
});

Deno.test("worked window 2: a against c, and c wins", () => {
  const [a1, , c1] = ratePlackettLuce([PRIOR_RATING, PRIOR_RATING, PRIOR_RATING], [0.0021, 0.0035, -0.0004]);
  const [a, c] = ratePlackettLuce([a1, c1], [0.0010, 0.0030]);
  near(a.mu, 23.159223, "a μ");
  near(a.sigma, 8.005737, "a σ");
  near(ordinal(a), -0.857987, "a ordinal");
  near(c.mu, 24.384527, "c μ");
  near(c.sigma, 8.005737, "c σ");
  near(ordinal(c), 0.367317, "c ordinal");
});

Deno.test("agrees with npm openskill 5.0.1 on random matches with distinct scores, ties and zeros", () => {
  let seed = 20261202;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let m = 0; m < 150; m++) {
    const n = 2 + Math.floor(random() * 14);
    const ratings: Rating[] = Array.from(
      { length: n },
      () => ({ mu: 10 + 30 * random(), sigma: 0.5 + 7.83 * random() }),
    );
    const kind = m % 3;
    const scores = Array.from(
      { length: n },
      () => kind === 1 ? Math.floor(random() * 3) / 100 : kind === 2 && random() < 0.4 ? 0 : random() - 0.5,
    );
    const ours = ratePlackettLuce(ratings, scores);
    const theirs = openskillRate(ratings.map((r) => [openskillRating(r)]), { score: scores, beta: 7, tau: 0.1 });
    ours.forEach((r, i) => {
      near(r.mu, theirs[i][0].mu, `match ${m} (${["distinct", "ties", "zeros"][kind]}) player ${i} μ`, 1e-9);
      near(r.sigma, theirs[i][0].sigma, `match ${m} player ${i} σ`, 1e-9);
    });
  }
});
