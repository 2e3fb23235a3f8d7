/**
 * Each model's explanation names the rule that decided its weight. The cases are worked by hand
 * from SN9's rules (pretrain/validation.py: iswin with the earlier model's epsilon discount,
 * compute_wins, the competitive filter, softmax of win rates at temperature 0.01).
 */
import assert from "node:assert/strict";
import { explainOutcomes, scoreCompetition } from "../../src/mod.ts";

const decay = { start: 0.01, end: 0.001, decayBlocks: 100 };

Deno.test("explanations: a copy, a spoiler, a loser to a better newcomer, a winner, a failure", () => {
  const models = [
    { uid: 1, block: 0, loss: 3.0 },
    { uid: 2, block: 50, loss: 3.0 }, // the copy: 3.0 is not below 3.0 · (1 − 0.001)
    { uid: 3, block: 60, loss: 2.99 }, // beats uid 1 even after its discount: 3.0 · 0.999 = 2.997 > 2.99
    { uid: 4, block: 70, loss: 4.0 }, // can never overtake uid 3: needs < 2.99 · 0.999 = 2.98701
    { uid: 5, block: 80, loss: Infinity },
  ];
  const outcomes = scoreCompetition(models, { decay, block: 100 });
  const why = explainOutcomes(outcomes, { decay, block: 100 });
  assert.equal(why.get(2), "same loss as uid 1, committed earlier (block 0): a copy can never win, no weight");
  assert.equal(
    why.get(4),
    "cannot overtake uid 3 (block 60, loss 2.9900) even after its advantage decays to 0.001: needs a loss below 2.9870; no weight",
  );
  assert.equal(why.get(5), "no loss (see the status): takes no part in the wins, no weight");
  // Contenders uid 1 and uid 3; weights softmax([0, 1] / 0.01): uid 1 gets e^-100 / (1 + e^-100) ≈ 3.7e-44.
  assert.equal(why.get(3), "wins 1 of 1: the best win rate, weight 1.0000");
  assert.equal(
    why.get(1),
    "wins 0 of 1: uid 3 beats even our epsilon-discounted loss (2.9900 vs 2.9970). win rate 0.000 is 1.000 below the best, and weight is softmax(win rate / 0.01): weight ≈ 0 (3.7e-44)",
  );
});

Deno.test("explanations: better than an earlier model but not by its epsilon; alone", () => {
  // At block 1 uid 1's epsilon is 0.01 − (1/100) · 0.009 = 0.00991: 3.0 · (1 − 0.00991) = 2.97027 < 2.98.
  const outcomes = scoreCompetition([{ uid: 1, block: 0, loss: 3.0 }, { uid: 2, block: 1, loss: 2.98 }], {
    decay,
    block: 1,
  });
  const why = explainOutcomes(outcomes, { decay, block: 1 });
  assert.match(
    why.get(2)!,
    /^wins 0 of 1: better than uid 1 \(2\.9800 < 3\.0000\) but not by its epsilon 0\.00991 \(it committed earlier\)\. /,
  );
  assert.equal(why.get(1), "wins 1 of 1: the best win rate, weight 1.0000");
  const alone = scoreCompetition([{ uid: 7, block: 5, loss: 3 }], { decay, block: 10 });
  assert.equal(explainOutcomes(alone, { decay, block: 10 }).get(7), "alone in the competition: all of its weight");
  // A later copy takes no part in the wins: the leader is not alone, but the only one competing.
  const withCopy = scoreCompetition([{ uid: 7, block: 5, loss: 3 }, { uid: 8, block: 6, loss: 3 }], {
    decay,
    block: 10,
  });
  assert.equal(
    explainOutcomes(withCopy, { decay, block: 10 }).get(7),
    "the only model competing (the other one takes no part in the wins): all of its weight",
  );
});
