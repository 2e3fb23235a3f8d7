/**
 * The evaluation budget's rules, hand-checked on small histories: SN9's `should_retry_model`
 * (its cases from macrocosm-os/pretraining `tests/model/test_retry.py`, and the epsilon decay's
 * boundary worked out by hand), which models a competition keeps, the top miners other
 * validators weight (taoverse `get_top_miners`), the planner's cap, revisit and order, and a
 * weights read that fails leaving the scan due.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  BUNDLED_SCHEDULES,
  type Competition,
  devKey,
  type EvalHistoryEntry,
  loadSchedule,
  LocalChain,
  LocalModelStore,
  type Metagraph,
  modelsToKeep,
  type PlanModel,
  planQueue,
  planStep,
  shouldRetry,
  SN9_BUDGET,
  takeTurn,
  topMiners,
  type TrackedModel,
  ValidatorState,
} from "../../src/mod.ts";
import { tempDir } from "../helpers/temp.ts";
import { testValidatorContext } from "../helpers/validator_context.ts";

const fixed = (e: number) => ({ start: e, end: e, decayBlocks: 1 });
const entry = (score: number, block = 1, winningScore = 1.0, winningBlock = 1): EvalHistoryEntry => ({
  block,
  score,
  winningBlock,
  winningScore,
});

Deno.test("shouldRetry() follows SN9's test_retry.py cases", () => {
  assert.equal(
    shouldRetry([], { decay: fixed(0.005), block: 10, maxFailedAttempts: 2 }).retry,
    true,
    "never evaluated",
  );
  assert.equal(
    shouldRetry([entry(0.2, 1, 0.19)], { decay: fixed(0.005), block: 10, maxFailedAttempts: 2 }).retry,
    false,
    "worse than the winner",
  );
  // [epsilon, the model's loss, retried] against a winner at 1.0.
  for (
    const [epsilon, loss, retried] of [
      [0.005, 1.0, false],
      [0.001, 1.0, false],
      [0.0001, 1.0, false],
      [0.51, 0.5, false],
      [0.5004, 0.5, false],
      [0.49, 0.5, true],
    ] as const
  ) {
    assert.equal(
      shouldRetry([entry(loss)], { decay: fixed(epsilon), block: 10, maxFailedAttempts: 2 }).retry,
      retried,
      `epsilon ${epsilon}, loss ${loss}`,
    );
  }
  // Only the last successful evaluation counts, wherever failures sit.
  const worseLast = [entry(0.9, 2), entry(1.1, 4)], betterLast = [entry(1.1, 2), entry(0.9, 4)];
  for (const [history, expected] of [[worseLast, false], [betterLast, true]] as const) {
    for (let i = 0; i <= history.length; i++) {
      const withFailure = [...history.slice(0, i), entry(Infinity, 3), ...history.slice(i)];
      assert.equal(shouldRetry(withFailure, { decay: fixed(0.005), block: 10, maxFailedAttempts: 2 }).retry, expected);
    }
  }
});

Deno.test("shouldRetry() gives a failing model two attempts, then gives it up", () => {
  const once = shouldRetry([entry(Infinity)], { decay: fixed(0.005), block: 10, maxFailedAttempts: 2 });
  assert.equal(once.retry, true);
  assert.match(once.why, /failed 1 attempt, fewer than 2/);
  const twice = shouldRetry([entry(Infinity, 1), entry(Infinity, 2)], {
    decay: fixed(0.005),
    block: 10,
    maxFailedAttempts: 2,
  });
  assert.equal(twice.retry, false);
  assert.match(twice.why, /given up after 2 attempts that failed/);
});

Deno.test("shouldRetry() retries a close loser once the winner's epsilon has decayed enough", () => {
  // The winner (committed at block 0) lost 3.0; the model 2.99, short of the winner's advantage.
  // ε(b) = 0.005 − (b / 1000) · 0.0049. It wins once 3 · (1 − ε) > 2.99, i.e. ε < 1/300:
  // at block 340 ε = 0.003334 (bar 2.989998, no); at block 341 ε = 0.0033291 (bar 2.9900127, yes).
  const decay = { start: 0.005, end: 0.0001, decayBlocks: 1000 };
  const history = [entry(2.99, 100, 3.0, 0)];
  assert.equal(shouldRetry(history, { decay: decay, block: 100, maxFailedAttempts: 2 }).retry, false);
  const before = shouldRetry(history, { decay: decay, block: 340, maxFailedAttempts: 2 });
  assert.equal(before.retry, false);
  assert.match(before.why, /does not yet beat the winner's 3\.0000 less its epsilon 0\.00333 \(2\.9900\)/);
  const after = shouldRetry(history, { decay: decay, block: 341, maxFailedAttempts: 2 });
  assert.equal(after.retry, true);
  assert.match(after.why, /^retried: its loss 2\.9900 now beats/);
});

Deno.test("modelsToKeep() keeps the weighted first, then by win rate, topped up by loss, never a failure", () => {
  const kept = modelsToKeep([
    { uid: 1, loss: 3.0, winRate: 1, movingWeight: 0.0005 },
    { uid: 2, loss: 3.1, winRate: 0.2, movingWeight: 0.3 },
    { uid: 3, loss: 3.2, winRate: 0.5, movingWeight: 0.6 },
    { uid: 4, loss: 2.9, winRate: 0, movingWeight: 0 },
    { uid: 5, loss: Infinity, winRate: 0, movingWeight: 0 },
    { uid: 6, loss: 3.05, winRate: 0, movingWeight: 0 },
  ], 4);
  // uid 3 (1.6) and uid 2 (1.3) by weight; uid 1 by win rate (its weight is under 0.001); uid 4 by loss.
  assert.deepEqual(kept.map((k) => k.uid), [3, 2, 1, 4]);
  assert.match(kept[0].why, /weight 0\.6000 in the moving average/);
  assert.match(kept[2].why, /win rate 1\.000/);
  assert.match(kept[3].why, /lowest losses \(2\.9000\)/);
  assert.deepEqual(
    modelsToKeep([{ uid: 5, loss: Infinity, winRate: 0, movingWeight: 0 }], 5),
    [],
    "a model that failed is not kept, however few there are",
  );
});

Deno.test("topMiners() counts permitted validators over the stake threshold, 5% of each one's weights", () => {
  const neuron = (uid: number, stake: bigint, validatorPermit: boolean) => ({
    uid,
    hotkey: `h${uid}`,
    coldkey: "c",
    stake,
    validatorPermit,
    lastUpdate: 0,
    blockAtRegistration: 0,
    consensus: 0,
    incentive: 0,
    dividends: 0,
    trust: 0,
    validatorTrust: 0,
    emission: 0n,
  });
  const tao = 1_000_000_000n;
  const metagraph: Metagraph = {
    netuid: 9,
    block: 1,
    neurons: [neuron(0, 60_000n * tao, true), neuron(1, 40_000n * tao, true), neuron(2, 90_000n * tao, false)],
  };
  const weights = {
    // uid 3 holds 1000/20000 = 5% exactly (counts); uid 4 holds 999/20000 (does not).
    0: [[3, 1000], [4, 999], [5, 18001]] as [number, number][],
    1: [[6, 65535]] as [number, number][], // under the stake threshold
    2: [[7, 65535]] as [number, number][], // no permit
  };
  assert.deepEqual(topMiners(metagraph, weights, SN9_BUDGET.topMiners), [
    { uid: 3, weightedBy: [0] },
    { uid: 5, weightedBy: [0] },
  ]);
});

const competition = {
  id: 1,
  evalBlockDelay: 10,
  epsilon: fixed(0.005),
} as Competition;
const model = (uid: number, o: Partial<TrackedModel> = {}): TrackedModel => ({
  hotkey: `h${uid}`,
  uid,
  competitionId: 1,
  repo: `m/${uid}`,
  revision: "a".repeat(40),
  secureHash: "",
  commitBlock: 100,
  status: "pending",
  reason: null,
  updatedBlock: 100,
  ...o,
});
const fresh = (uid: number, commitBlock = 100): PlanModel => ({
  model: model(uid, { commitBlock }),
  history: [],
  checkedBlock: null,
});

Deno.test("planQueue() takes new commitments oldest first up to the limit; the rest wait with a reason", () => {
  const plan = planQueue({
    block: 200,
    budget: { ...SN9_BUDGET, updatedModelsLimit: 3 },
    competitions: new Map([[1, competition]]),
    models: [fresh(1, 150), fresh(2, 120), fresh(3, 195), fresh(4, 110), fresh(5, 130)],
    queue: [],
  });
  // uid 3 committed at 195 is inside its 10-block delay; the others by commit block: 4, 2, 5 (1 waits).
  assert.deepEqual(plan.queue.map((q) => q.hotkey), ["h4", "h2", "h5"]);
  assert.ok(plan.queue.every((q) => q.role === "pending" && q.why === "new commitment"));
  assert.equal(plan.notes.get("h3"), "waiting for its evaluation delay, until block 205");
  assert.match(plan.notes.get("h1")!, /waiting for an open slot \(3 models kept or pending\)/);
});

Deno.test("planQueue() looks at an evaluated model once per revisit, queues it when the retry rule says so", () => {
  const lost: PlanModel = { model: model(1, { status: "ok" }), history: [entry(3.2, 150, 3.0)], checkedBlock: null };
  const close: PlanModel = {
    model: model(2, { status: "ok" }),
    history: [entry(2.0, 150, 3.0)],
    checkedBlock: 150,
  };
  const failedTwice: PlanModel = {
    model: model(3, { status: "failed" }),
    history: [entry(Infinity, 140), entry(Infinity, 150)],
    checkedBlock: null,
  };
  const input = {
    budget: SN9_BUDGET,
    competitions: new Map([[1, competition]]),
    models: [lost, close, failedTwice],
    queue: [],
  };
  const early = planQueue({ ...input, block: 200 });
  assert.deepEqual(early.queue, [], "uid 2 was looked at 50 blocks ago; the others do not qualify");
  assert.deepEqual(early.checked.sort(), ["h1", "h3"]);
  assert.match(early.notes.get("h2")!, /looked at again from block 250/);
  assert.match(early.notes.get("h3")!, /given up after 2 attempts/);
  const later = planQueue({ ...input, block: 250 });
  assert.deepEqual(later.queue.map((q) => [q.hotkey, q.role]), [["h2", "pending"]]);
  assert.match(later.queue[0].why, /^retried: its loss 2\.0000 now beats/);
});

Deno.test("planQueue() queues a top miner over the limit unless it was evaluated recently, and drops stale entries", () => {
  const seen = (uid: number, block: number): PlanModel => ({
    model: model(uid, { status: "ok" }),
    history: [entry(3.5, block, 3.0)],
    checkedBlock: block,
  });
  const plan = planQueue({
    block: 1000,
    budget: { ...SN9_BUDGET, updatedModelsLimit: 1 },
    competitions: new Map([[1, competition]]),
    models: [seen(1, 600), seen(2, 900), { ...seen(3, 600), model: model(3, { status: "rejected", reason: "x" }) }],
    queue: [
      { hotkey: "h3", competitionId: 1, role: "current", why: "kept", sinceBlock: 600 },
      { hotkey: "h9", competitionId: 1, role: "pending", why: "new commitment", sinceBlock: 600 },
    ],
    topMiners: [{ uid: 1, weightedBy: [0, 4] }, { uid: 2, weightedBy: [0] }],
  });
  // uid 3 is rejected and h9 is no longer tracked: both leave the queue. uid 2 was evaluated 100
  // blocks ago (< 300); uid 1, 400 blocks ago, joins though the limit is 1.
  assert.deepEqual(plan.queue.map((q) => q.hotkey), ["h1"]);
  assert.equal(plan.queue[0].why, "queued: validator uid 0, 4 weights it");
});

Deno.test("planStep() plans without the top-miner scan when the validators' weights cannot be read, and scans next turn", async () => {
  const root = await tempDir("sn9-plan-");
  const chain = LocalChain.open(join(root, "chain.sqlite"), { clock: { kind: "manual" } });
  const state = new ValidatorState(join(root, "v.sqlite"));
  try {
    chain.createSubnet(1, { tempo: 100 });
    const validator = await devKey("Alice");
    await chain.register(1, validator.address, validator);
    chain.advance(5);
    const schedule = await loadSchedule(BUNDLED_SCHEDULES.local);
    let fail = true;
    const flaky = new Proxy(chain, {
      get: (t, p) =>
        p === "weights"
          ? () => fail ? Promise.reject(new Error("RPC timed out")) : t.weights(1)
          : typeof (t as never)[p] === "function"
          ? ((t as never)[p] as (...a: unknown[]) => unknown).bind(t)
          : (t as never)[p],
    });
    const lines: string[] = [];
    const ctx = testValidatorContext(
      {
        root,
        chain: flaky,
        store: new LocalModelStore(join(root, "store")),
        datasetsUrl: "http://127.0.0.1:9",
        schedule,
        hotkey: validator,
        state,
      },
      (l) => lines.push(l),
    );
    const turn = await takeTurn(ctx);
    assert.deepEqual(await planStep(ctx, turn), []);
    assert.match(
      lines.join("\n"),
      /could not read the validators' weights, the top-miner scan waits for the next turn: RPC timed out/,
    );
    assert.equal(state.lastTopMinerScan(), undefined, "the scan is still due");
    fail = false;
    await planStep(ctx, turn);
    assert.equal(state.lastTopMinerScan(), turn.block);
  } finally {
    state.close();
    await chain.close();
  }
});
