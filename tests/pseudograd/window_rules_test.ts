/**
 * A pseudo-gradient competition's clock, copy detection and slashes, hand-checked from the rules
 * in docs/pseudograd.md ("Windows", "Copies", "Slashes"); the overlap definition is Templar's
 * `check_uid_index_overlap` (tplr-ai/templar, `neurons.py`): per chunk, the share of one peer's k
 * positions the other also kept, averaged over chunks, then over parameters weighted by chunks · k.
 */
import assert from "node:assert/strict";
import {
  applySlash,
  checkWindowRules,
  copySeverity,
  findCopies,
  indexOverlap,
  NEW_PEER,
  pack12,
  type Submission,
  submissionLayout,
  submissionTiming,
  windowAt,
  windowSeeds,
  windowSpan,
  windowWeights,
} from "../../src/pseudograd/mod.ts";

const RULES = { startBlock: 100, windowBlocks: 20, putBlocks: 5 };

Deno.test("windows: which window a block is in, its span, and when a submission is on time", () => {
  assert.equal(windowAt(99, RULES), null);
  assert.equal(windowAt(100, RULES), 0);
  assert.equal(windowAt(119, RULES), 0);
  assert.equal(windowAt(120, RULES), 1);
  assert.deepEqual(windowSpan(1, RULES), { window: 1, start: 120, end: 140, deadline: 145 });
  assert.equal(submissionTiming(139, 1, RULES), "early", "still inside the window it trains on");
  assert.equal(submissionTiming(140, 1, RULES), "on time");
  assert.equal(submissionTiming(145, 1, RULES), "on time", "the deadline block counts");
  assert.equal(submissionTiming(146, 1, RULES), "late");
  const seeds = windowSeeds(1, RULES);
  assert.deepEqual([seeds.assignBlock, seeds.revealBlock], [120, 145]);
  assert.notEqual(seeds.assignLabel(3), seeds.assignLabel(4));
  assert.notEqual(seeds.ownLabel(3), seeds.assignLabel(3));
});

Deno.test("checkWindowRules() refuses windows the chain's commitment rate cannot serve and deadlines outside the window", () => {
  checkWindowRules(RULES);
  assert.throws(() => checkWindowRules({ ...RULES, windowBlocks: 10 }), /window_blocks 10 must be an integer ≥ 12/);
  assert.throws(
    () => checkWindowRules({ ...RULES, putBlocks: 0 }),
    /put_blocks 0 must be an integer in \[1, window_blocks\)/,
  );
  assert.throws(() => checkWindowRules({ ...RULES, putBlocks: 20 }), /put_blocks 20/);
  assert.throws(() => checkWindowRules({ ...RULES, startBlock: -1 }), /start block -1/);
});

// Two parameters: "w" [8] in 2 chunks of 4, and "v" [4, 4] in 1 chunk of 16; top-2 each.
const layout = submissionLayout([{ name: "w", shape: [8] }, { name: "v", shape: [4, 4] }], {
  chunk: 4,
  topk: 2,
  bins: 4,
  range: 6,
});
/** A submission keeping positions `w` and `v`, every kept value 0.5 (or 0 with `zero`). */
function submission(w: number[], v: number[], zero = false): Submission {
  const values = { lookup: Float32Array.of(zero ? 0 : 0.5, 0, 0, 0), shift: 0 };
  return {
    meta: { window: 0, base: "", codec: layout.codec },
    parameters: new Map([
      ["w", { ...values, idxs: pack12(w), codes: new Uint8Array(4) }],
      ["v", { ...values, idxs: pack12(v), codes: new Uint8Array(2) }],
    ]),
  };
}
const A = submission([3, 1, 2, 3], [0, 5]);

Deno.test("indexOverlap(): per chunk, then weighted by chunks · k", () => {
  // w: chunk 0 {3, 1} vs {3, 0} shares 1 of 2, chunk 1 {2, 3} vs {3, 2} shares 2 of 2: mean 0.75, weight 4.
  // v: {0, 5} vs {6, 7} shares none, weight 2. Overall (0.75·4 + 0·2) / 6 = 0.5.
  assert.equal(indexOverlap(layout, A, submission([3, 0, 3, 2], [6, 7])), 0.5);
  assert.equal(indexOverlap(layout, A, A), 1);
  assert.equal(indexOverlap(layout, A, submission([0, 2, 0, 1], [1, 2])), 0);
  assert.deepEqual([0.4, 0.49, 0.5, 0.59, 0.6, 1].map(copySeverity), ["high", "high", "max", "max", "mega", "mega"]);
});

Deno.test("indexOverlap() leaves out what holds no evidence: all-zero chunks, and parameters that keep every position", () => {
  // A peer that sent only zeros chose its positions by the encoder's tie-break: no evidence either way.
  assert.equal(indexOverlap(layout, A, submission([3, 1, 2, 3], [0, 5], true)), 0);
  // A chunk of 2 keeping top-2 keeps everything: any two peers share it all, so it is not counted.
  const whole = submissionLayout([{ name: "w", shape: [8] }, { name: "v", shape: [4, 4] }, { name: "b", shape: [2] }], {
    chunk: 4,
    topk: 2,
    bins: 4,
    range: 6,
  });
  assert.equal(whole.parameters.find((p) => p.name === "b")!.k, 2);
  const withBias = (s: Submission) => {
    const b = { lookup: Float32Array.of(0.5, 0, 0, 0), shift: 0, idxs: pack12([0, 1]), codes: new Uint8Array(2) };
    return { ...s, parameters: new Map([...s.parameters, ["b", b]]) };
  };
  assert.equal(indexOverlap(whole, withBias(A), withBias(submission([3, 0, 3, 2], [6, 7]))), 0.5, "as without it");
});

Deno.test("findCopies(): the later commitment is the copier; the same block flags both; the worst pair counts", () => {
  const found = findCopies(layout, [
    { uid: 1, block: 10, submission: A },
    { uid: 2, block: 12, submission: A }, // a whole copy, later: mega
    { uid: 3, block: 11, submission: submission([3, 0, 3, 2], [6, 7]) }, // 0.5 with 1 and 2: max
    { uid: 4, block: 15, submission: submission([0, 2, 0, 1], [1, 2]) },
    { uid: 5, block: 15, submission: submission([0, 2, 0, 1], [1, 2]) }, // same block as 4: both
  ]);
  assert.deepEqual([...found.keys()].sort(), [2, 3, 4, 5]);
  assert.deepEqual(found.get(2), { uid: 2, of: 1, overlap: 1, severity: "mega" });
  assert.equal(found.get(3)!.severity, "max");
  assert.equal(found.get(3)!.of, 1, "uid 3 committed after uid 1, before uid 2");
  assert.deepEqual([found.get(4)!.of, found.get(5)!.of], [5, 4]);
  assert.ok(!found.has(1), "the first to commit is never the copier");
});

Deno.test("applySlash(): absent ×0.75 on positive final and B, floor 1e-4; invalid zeroes; copies halve, reset or bar", () => {
  const s = { ...NEW_PEER, final: 0.2, binary: 0.1 };
  const late = applySlash(s, { rule: "late" }, 5);
  assert.ok(Math.abs(late.final - 0.15) < 1e-15 && Math.abs(late.binary - 0.075) < 1e-15);
  assert.equal(applySlash({ ...s, final: 1.2e-4 }, { rule: "missing" }, 5).final, 0, "9e-5 is below the floor");
  assert.deepEqual(applySlash({ ...s, final: -0.3, binary: -0.1 }, { rule: "missing" }, 5), {
    ...s,
    final: -0.3,
    binary: -0.1,
  });
  assert.equal(applySlash(s, { rule: "invalid" }, 5).final, 0);
  assert.equal(applySlash({ ...s, final: -0.3 }, { rule: "invalid" }, 5).final, -0.3);
  assert.equal(applySlash(s, { rule: "copy", severity: "high" }, 5).final, 0.1);
  assert.deepEqual(applySlash({ ...s, mu: 40 }, { rule: "copy", severity: "max" }, 5), NEW_PEER);
  const barred = applySlash(s, { rule: "copy", severity: "mega" }, 5);
  assert.equal(barred.bannedUntil, 205);
  // A barred peer earns nothing until window 205, even with a positive final.
  const standing = new Map([[1, { ...barred, final: 1 }], [2, { ...NEW_PEER, final: 1 }]]);
  assert.deepEqual([...windowWeights(standing, 204)], [[1, 0], [2, 1]]);
  assert.deepEqual([...windowWeights(standing, 205)], [[1, 0.5], [2, 0.5]]);
});
