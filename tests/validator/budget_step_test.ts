/**
 * The evaluation budget through the validator's steps, on the embedded chain with 30 miners in
 * one competition: the first step takes `updatedModelsLimit` of them, oldest first; after it each
 * step evaluates the `sampleMin` kept plus what is new or retried, never everything; a better model
 * committed later is evaluated in the first step after its delay and wins; a model that failed
 * twice is given up until its commitment changes; the plan survives a restart of the state.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { KeyringPair } from "@polkadot/keyring/types";
import { publishModel } from "../../miner/mod.ts";
import {
  BUNDLED_SCHEDULES,
  type Competition,
  competitionAt,
  formatModelId,
  keyFromUri,
  loadSchedule,
  LocalChain,
  LocalModelStore,
  runStep,
  type Schedule,
  SN9_BUDGET,
  type StepSummary,
  ValidatorState,
} from "../../src/mod.ts";
import { fitText, writeQualityModel } from "../../fixtures/mod.ts";
import { startDatasetsServer } from "../standins/datasets_server.ts";
import { tempDir } from "../helpers/temp.ts";
import { timeLimit } from "../helpers/time_limit.ts";
import { testValidatorContext } from "../helpers/validator_context.ts";

const DELAY = 4;
/** The embedded network's first competition, with a short delay and SN9's epsilon over 1000 blocks. */
const competition: Competition = {
  ...competitionAt(await loadSchedule(BUNDLED_SCHEDULES.local), 0, 1)!,
  epsilon: { start: 0.005, end: 0.0001, decayBlocks: 1000 },
  evalBlockDelay: DELAY,
};
const schedule: Schedule = [{ startBlock: 0, competitions: [competition] }];

Deno.test("budget: 30 miners; after the first step only the kept, the new and the retried are evaluated", async () => {
  // About 75 model evaluations over 9 steps: 1m46s to 2m44s in clean-clone CI runs on 2 cores.
  timeLimit(600_000);
  const root = await tempDir("sn9-budget-");
  const datasets = await startDatasetsServer();
  const chain = LocalChain.open(join(root, "chain.sqlite"), {
    clock: { kind: "manual" },
    genesisHash: `0x${"7".padStart(64, "0")}`,
  });
  const statePath = join(root, "v.sqlite");
  let state = new ValidatorState(statePath);
  try {
    chain.createSubnet(1, { tempo: 1000, weightsRateLimit: 2, maxAllowedUids: 64 });
    const validator = await keyFromUri("//budget-validator");
    await chain.register(1, validator.address, validator);
    chain.addStake(validator.address, 1_000_000_000_000n);
    const store = new LocalModelStore(join(root, "store"));
    const text = await fitText();
    const keys: KeyringPair[] = [];
    const publish = async (i: number, smoothing: number) => {
      keys[i] ??= await keyFromUri(`//budget-miner-${i}`);
      if (!(await chain.metagraph(1)).neurons.some((n) => n.hotkey === keys[i].address)) {
        await chain.register(1, keys[i].address, keys[i]);
      }
      const dir = join(root, `m${i}-${smoothing}`);
      await writeQualityModel("bigram", text, dir, { smoothing });
      await publishModel({
        skipChecks: true,
        replace: true,
        store,
        chain,
        netuid: 1,
        hotkey: keys[i],
        dir,
        repo: `miner${i}/m`,
        competition,
      });
      chain.advance(1); // one commitment per block: the oldest-first order is the miners' order
    };
    // Thirty miners of decreasing quality (more smoothing is worse).
    for (let i = 0; i < 30; i++) await publish(i, 4 + 2 * i);
    chain.advance(DELAY);
    const lines: string[] = [];
    const ctx = () =>
      testValidatorContext(
        { root, chain, store, datasetsUrl: datasets.url, schedule, hotkey: validator, state },
        (l) => lines.push(l),
        { budget: { ...SN9_BUDGET, revisitBlocks: 10 } },
      );
    const uidOf = async (i: number) =>
      (await chain.metagraph(1)).neurons.find((n) => n.hotkey === keys[i].address)!.uid;
    const why = (s: StepSummary) =>
      new Map(s.results.map((r) => [r.uid, state.evals(s.stepId).find((e) => e.uid === r.uid)!.queued!]));
    const step = async () => {
      const s = await runStep(ctx());
      chain.advance(12);
      return s!;
    };

    // Step 1: the first 25 by commitment; the other 5 wait for a slot.
    const first = await step();
    assert.equal(first.results.length, 25);
    assert.ok([...why(first).values()].every((w) => w === "new commitment"));
    assert.ok(first.results.every((r) => r.status === "ok"), first.results.map((r) => r.reason).join(" | "));
    const waiting = await Promise.all([25, 26, 27, 28, 29].map(uidOf));
    assert.ok(waiting.every((u) => !first.results.some((r) => r.uid === u)), "the 5 newest wait");
    assert.match(state.budget.notes().get(keys[29].address)!, /waiting for an open slot/);

    // Step 2: the 5 kept and the 5 that waited.
    const second = await step();
    const reasons2 = [...why(second).values()];
    assert.equal(second.results.length, 10, reasons2.join(" | "));
    assert.equal(reasons2.filter((w) => w.startsWith("kept")).length, SN9_BUDGET.sampleMin);
    assert.equal(reasons2.filter((w) => w === "new commitment").length, 5);

    // Step 3, after a restart of the state: only the kept (every loser lost by more than epsilon).
    state.close();
    state = new ValidatorState(statePath);
    const third = await step();
    assert.equal(third.results.length, SN9_BUDGET.sampleMin, [...why(third).values()].join(" | "));
    const best = await uidOf(0);
    assert.equal(third.weights.get(best), 1, "the best of the thirty wins");

    // A better model, committed now: inside its delay it waits; in the first step after it, it is
    // evaluated and wins.
    await publish(30, 1);
    const better = await uidOf(30);
    const inDelay = await runStep(ctx());
    assert.ok(!inDelay!.results.some((r) => r.uid === better));
    assert.match(state.budget.notes().get(keys[30].address)!, /waiting for its evaluation delay/);
    chain.advance(DELAY);
    const fourth = await step();
    assert.equal(why(fourth).get(better), "new commitment");
    assert.equal(fourth.results.length, SN9_BUDGET.sampleMin + 1);
    const won = state.evals(fourth.stepId).find((e) => e.uid === better)!;
    assert.equal(won.weight, 1, `the newcomer wins the step: ${won.explanation}`);
    assert.ok(fourth.weights.get(better)! >= 0.5, "and half the moving average at once");

    // A commitment to a revision the store does not have fails; it is retried once, then given up.
    const failer = keys[31] = await keyFromUri("//budget-miner-31");
    await chain.register(1, failer.address, failer);
    const failing = formatModelId({
      namespace: "miner31",
      name: "m",
      commit: "b".repeat(40),
      secureHash: "A".repeat(43) + "=",
      competitionId: 1,
    });
    await chain.setCommitment(1, failer, failing);
    chain.advance(DELAY + 1);
    const failerUid = await uidOf(31);
    const attempts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await step();
      const r = s.results.find((x) => x.uid === failerUid);
      if (r) attempts.push(`${r.status} (${why(s).get(failerUid)})`);
    }
    assert.equal(attempts.length, 2, attempts.join(" | "));
    assert.match(attempts[0], /^failed \(new commitment\)/);
    assert.match(attempts[1], /^failed \(retried: failed 1 attempt, fewer than 2\)/);
    assert.match(state.budget.notes().get(failer.address)!, /given up after 2 attempts that failed/);
    // A new commitment (after the chain's commitment rate limit) starts it afresh.
    chain.advance(100);
    await publish(31, 2);
    chain.advance(DELAY);
    const fresh = await step();
    assert.equal(why(fresh).get(failerUid), "new commitment");
    assert.equal(fresh.results.find((x) => x.uid === failerUid)!.status, "ok");
    assert.ok(
      lines.some((l) => /budget: 5 kept, 1 new commitment/.test(l)),
      lines.filter((l) => /budget/.test(l)).join("\n"),
    );
  } finally {
    state.close();
    await chain.close();
    await datasets.close();
  }
});
