/**
 * The weights sender on both chains (the embedded local chain, and the real spec-218 subtensor
 * runtime under chopsticks), with the same assertions, through the failures that used to stop
 * weights for good: a commit that lands in the epoch after the step began, a reveal window missed
 * while the validator was down, a process killed between commit and reveal (and between
 * submitting a commit and recording it), and a subnet switching commit-reveal on and off.
 * A "kill" is a new ValidatorState opened on the same file: all a restarted process has.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { u8aToHex } from "@polkadot/util";
import { commitHash, epochIndex, firstBlockOfEpoch, sendWeights, ValidatorState } from "../../src/mod.ts";
import { onRuntime } from "../chain/chopsticks.ts";
import { advanceToEpoch, type ChainHarness } from "../chain/conformance.ts";
import { localHarness, subtensorHarness } from "../chain/harnesses.ts";
import { tempDir } from "../helpers/temp.ts";

const WEIGHTS = new Map([[1, 0.7], [2, 0.3]]);

function senderSuite(name: string, make: () => Promise<ChainHarness>): void {
  const test = (title: string, fn: (h: ChainHarness, state: () => ValidatorState, lines: string[]) => Promise<void>) =>
    Deno.test(`${name}: ${title}`, async () => {
      const h = await make();
      const path = join(await tempDir(), "v.sqlite");
      const opened: ValidatorState[] = [];
      const state = () => {
        const s = new ValidatorState(path);
        opened.push(s);
        return s;
      };
      try {
        await fn(h, state, []);
      } finally {
        for (const s of opened) s.close();
        await h.close();
      }
    });
  const send = async (h: ChainHarness, state: ValidatorState, lines: string[]) =>
    await sendWeights(
      { chain: h.chain, state, netuid: h.netuid, hotkey: h.validator, log: (l) => lines.push(l) },
      WEIGHTS,
      await h.chain.metagraph(h.netuid),
    );
  const tempo = async (h: ChainHarness) => (await h.chain.hyperparameters(h.netuid)).tempo;
  const epochOf = async (h: ChainHarness) => epochIndex(await h.chain.currentBlock(), h.netuid, await tempo(h));

  test(
    "commit-reveal off: weights are set, then the rate limit is waited out without a refusal",
    async (h, state, lines) => {
      const s = state();
      assert.match(await send(h, s, lines), /^set at block \d+$/);
      assert.match(await send(h, s, lines), /^waiting for the rate limit \(next at block \d+\)$/);
      await h.advance(2);
      assert.match(await send(h, s, lines), /^set at block/);
      assert.ok(s.weightsHistory().every((r) => r.result === "set"));
    },
  );

  test(
    "a commit landing in the epoch after the step began is revealed in the epoch after its inclusion",
    async (h, state, lines) => {
      await h.setCommitReveal(true);
      const t = await tempo(h);
      const next = (await epochOf(h)) + 2;
      await h.advance(firstBlockOfEpoch(next, h.netuid, t) - 1 - (await h.chain.currentBlock())); // the last block of an epoch
      const metagraph = await h.chain.metagraph(h.netuid); // the step begins here…
      await h.advance(1); // …and its commit lands in the next epoch
      const s = state();
      const committed = await sendWeights(
        { chain: h.chain, state: s, netuid: h.netuid, hotkey: h.validator, log: (l) => lines.push(l) },
        WEIGHTS,
        metagraph,
      );
      const pending = s.weightsPending();
      assert.equal(pending.kind, "committed");
      if (pending.kind !== "committed") return;
      assert.match(
        committed,
        new RegExp(`committed at block ${pending.commitBlock}, reveal in epoch ${pending.revealEpoch}`),
      );
      assert.equal(
        epochIndex(pending.commitBlock, h.netuid, t),
        next,
        "the commit landed in the epoch after the step's",
      );
      assert.equal(pending.revealEpoch, next + 1, "counted from the including block");
      await h.advance(2);
      assert.match(await send(h, s, lines), /awaits its reveal epoch/);
      await advanceToEpoch(h, pending.revealEpoch, t);
      assert.match(await send(h, s, lines), /^revealed at block \d+ the weights committed at block/);
      assert.ok(s.weightsHistory().every((r) => !r.result.startsWith("failed")), "no refusal");
    },
  );

  test(
    "a reveal window missed while the validator was down: the commit is dropped and made again, no refusal",
    async (h, state, lines) => {
      await h.setCommitReveal(true);
      const t = await tempo(h);
      const s = state();
      assert.match(await send(h, s, lines), /^committed at block/);
      const first = s.weightsPending();
      if (first.kind !== "committed") throw new Error(first.kind);
      await advanceToEpoch(h, first.revealEpoch + 1, t); // down through the whole reveal epoch
      const result = await send(h, s, lines);
      assert.match(result, /missed the reveal window .* committing again; committed at block \d+/);
      const second = s.weightsPending();
      assert.equal(second.kind, "committed");
      if (second.kind !== "committed") return;
      assert.notEqual(second.hash, first.hash);
      assert.deepEqual((await h.chain.weightCommits(h.netuid, h.validator.address)).map((c) => c.hash), [second.hash]);
      await advanceToEpoch(h, second.revealEpoch, t);
      assert.match(await send(h, s, lines), /^revealed/);
      assert.deepEqual(
        s.weightsHistory().map((r) => r.result.split(":")[0]).reverse(),
        ["committed", "expired", "committed", "revealed", "committed"],
      );
    },
  );

  test("killed between commit and reveal: the restarted sender reveals in the window", async (h, state, lines) => {
    await h.setCommitReveal(true);
    const t = await tempo(h);
    const before = state();
    await send(h, before, lines);
    const pending = before.weightsPending();
    if (pending.kind !== "committed") throw new Error(pending.kind);
    const after = state(); // the restarted process
    await advanceToEpoch(h, pending.revealEpoch, t);
    const result = await send(h, after, lines);
    // Then the next commit goes out in the same call if the rate limit already allows it.
    assert.match(
      result,
      /^revealed at block \d+ the weights committed at block \d+; (committed at block|waiting for the rate limit)/,
    );
    assert.equal(after.weightsPending().kind, /; committed/.test(result) ? "committed" : "none");
  });

  test(
    "killed after submitting a commit but before recording it: the chain's own list settles it",
    async (h, state, lines) => {
      await h.setCommitReveal(true);
      const p = await h.chain.hyperparameters(h.netuid);
      const s = state();
      // What the sender writes before submitting, then the submission, then the kill.
      const intent = { uids: [1, 2], values: [65535, 28086], salt: [1, 2, 3], versionKey: p.weightsVersionKey };
      const hash = commitHash(h.validator.address, {
        netuid: h.netuid,
        uids: intent.uids,
        weights: intent.values,
        salt: intent.salt,
        versionKey: intent.versionKey,
      });
      s.setWeightsPending({
        kind: "committing",
        netuid: h.netuid,
        hash: u8aToHex(hash),
        startedBlock: await h.chain.currentBlock(),
        ...intent,
      });
      const { block } = await h.chain.commitWeights(h.validator, { netuid: h.netuid, hash });
      const restarted = state();
      assert.match(await send(h, restarted, lines), /awaits its reveal epoch/);
      assert.match(lines.join("\n"), new RegExp(`landed in block ${block}`));
      const settled = restarted.weightsPending();
      assert.equal(settled.kind === "committed" && settled.commitBlock, block);
      await advanceToEpoch(h, epochIndex(block, h.netuid, p.tempo) + 1, p.tempo);
      assert.match(await send(h, restarted, lines), /^revealed/);
      // And a commit that never reached the chain is made again, not waited for.
      const other = state();
      other.setWeightsPending({
        kind: "committing",
        netuid: h.netuid,
        hash: "0x" + "ab".repeat(32),
        startedBlock: 1,
        ...intent,
      });
      await h.advance(p.weightsRateLimit);
      assert.match(await send(h, other, lines), /^committed at block/);
      assert.match(lines.join("\n"), /never reached the chain/);
    },
  );

  test(
    "a subnet switching commit-reveal on and off: pending commits are dropped, weights keep flowing",
    async (h, state, lines) => {
      const s = state();
      await h.setCommitReveal(true);
      assert.match(await send(h, s, lines), /^committed at block/);
      await h.setCommitReveal(false);
      await h.advance(2);
      assert.match(
        await send(h, s, lines),
        /commit-reveal was switched off: the pending committed commit is dropped; set at block/,
      );
      await h.setCommitReveal(true);
      await h.advance(2);
      assert.match(await send(h, s, lines), /^committed at block/);
      assert.ok(s.weightsHistory().every((r) => !r.result.startsWith("failed")), "no refusal");
    },
  );
}

senderSuite("weights sender on the local chain", localHarness);
onRuntime("weights sender on subtensor spec 218 (chopsticks)", () => {
  senderSuite("weights sender on subtensor spec 218 (chopsticks)", subtensorHarness);
});
