/**
 * One conformance suite for every `Chain` implementation, run on the embedded local chain and on
 * the real subtensor runtime (spec 218 under chopsticks) with the same assertions: where they
 * disagree, the local chain is wrong. A harness supplies a fresh subnet whose validator (uid 0)
 * holds stake and the only validator permit (MaxAllowedValidators 1), miners (uids 1…), tempo 10,
 * weights rate limit 2, weights version key 3, and a way to move the chain forward.
 */
import assert from "node:assert/strict";
import type { KeyringPair } from "@polkadot/keyring/types";
import { u8aToHex } from "@polkadot/util";
import { type Chain, ChainRejected, commitHash, epochIndex } from "../../src/mod.ts";

/** What a harness provides. */
export interface ChainHarness {
  chain: Chain;
  netuid: number;
  validator: KeyringPair;
  miners: KeyringPair[];
  /** Someone who is not registered. */
  stranger: KeyringPair;
  /** Moves the chain forward `n` blocks. */
  advance(n: number): Promise<void>;
  /** Turns commit-reveal (version 2, reveal period 1) on or off for the subnet. */
  setCommitReveal(enabled: boolean): Promise<void>;
  close(): Promise<void>;
}

async function rejects(p: Promise<unknown>, error: string) {
  await assert.rejects(p, (e: unknown) => e instanceof ChainRejected && e.error === error, `expected ${error}`);
}

/** Registers the suite's tests for one implementation. */
export function chainConformance(name: string, make: () => Promise<ChainHarness>): void {
  const test = (title: string, fn: (h: ChainHarness) => Promise<void>) =>
    Deno.test(`${name}: ${title}`, async () => {
      const h = await make();
      try {
        await fn(h);
      } finally {
        await h.close();
      }
    });

  test("blocks advance and keep their hashes", async (h) => {
    const start = await h.chain.currentBlock();
    const startHash = await h.chain.blockHash(start);
    await h.advance(3);
    assert.equal(await h.chain.currentBlock(), start + 3);
    assert.equal(await h.chain.blockHash(start), startHash);
    const hashes = new Set(await Promise.all([0, 1, 2, 3].map((i) => h.chain.blockHash(start + i))));
    assert.equal(hashes.size, 4);
    for (const hash of hashes) assert.match(hash, /^0x[0-9a-f]{64}$/);
  });

  test("the metagraph lists registered neurons by uid with their hotkeys, bigint stake and permits", async (h) => {
    const m = await h.chain.metagraph(h.netuid);
    assert.deepEqual(m.neurons.map((n) => n.hotkey), [h.validator.address, ...h.miners.map((k) => k.address)]);
    assert.deepEqual(m.neurons.map((n) => n.uid), m.neurons.map((_, i) => i));
    assert.equal(typeof m.neurons[0].stake, "bigint");
    assert.ok(m.neurons[0].stake > 0n);
    assert.equal(typeof m.neurons[0].emission, "bigint");
    assert.ok(m.neurons[0].validatorPermit, "the staked validator holds a permit");
    for (const n of m.neurons) assert.ok(n.lastUpdate >= n.blockAtRegistration, "LastUpdate starts at registration");
  });

  test("commitments are read back with the block that included them; bad ones are refused", async (h) => {
    const [m1, m2] = h.miners;
    const first = await h.chain.setCommitment(h.netuid, m1, "alice:model:first");
    assert.deepEqual(await h.chain.commitment(h.netuid, m1.address), {
      hotkey: m1.address,
      block: first.block,
      data: "alice:model:first",
    });
    await h.advance(2);
    const second = await h.chain.setCommitment(h.netuid, m2, "bob:model:x");
    assert.ok(second.block > first.block);
    const all = await h.chain.commitments(h.netuid);
    assert.deepEqual(all.find((c) => c.hotkey === m2.address), {
      hotkey: m2.address,
      block: second.block,
      data: "bob:model:x",
    });
    assert.equal(all.filter((c) => c.hotkey === m1.address).length, 1);
    // Read as the storage stood after an older block (subtensor: the query at that block's hash).
    const before = await h.chain.commitments(h.netuid, second.block - 1);
    assert.deepEqual(before.map((c) => [c.hotkey, c.block, c.data]), [[m1.address, first.block, "alice:model:first"]]);
    // The commitments pallet allows one commitment per hotkey per CommitmentRateLimit (100) blocks.
    await rejects(h.chain.setCommitment(h.netuid, m1, "too soon"), "CommitmentSetRateLimitExceeded");
    assert.equal(await h.chain.commitment(h.netuid, h.stranger.address), null);
    await rejects(h.chain.setCommitment(h.netuid, h.stranger, "x"), "AccountNotAllowedCommit");
    await assert.rejects(() => h.chain.setCommitment(h.netuid, m2, "x".repeat(129)), /at most 128/);
  });

  test("set_weights stores max-upscaled weights and refuses what subtensor refuses, by name", async (h) => {
    const p = await h.chain.hyperparameters(h.netuid);
    assert.equal(p.weightsVersionKey, 3);
    const at = { netuid: h.netuid, versionKey: p.weightsVersionKey };
    const { block } = await h.chain.setWeights(h.validator, { ...at, uids: [1, 2], weights: [100, 50] });
    const after = await h.chain.metagraph(h.netuid);
    assert.equal(after.neurons[0].lastUpdate, block, "LastUpdate is the including block");
    // subtensor's vec_u16_max_upscale_to_u16: the largest becomes 65535, the rest in proportion
    // (50/100 of 65535 is 32767.5, rounded either way).
    const [top, half] = (await h.chain.weights(h.netuid))[0];
    assert.deepEqual(top, [1, 65535]);
    assert.equal(half[0], 2);
    assert.ok(Math.abs(half[1] - 32767.5) <= 1, `uid 2's weight ${half[1]} is half of 65535`);
    await rejects(h.chain.setWeights(h.validator, { ...at, uids: [1], weights: [1] }), "SettingWeightsTooFast");
    await h.advance(p.weightsRateLimit);
    await rejects(
      h.chain.setWeights(h.validator, { ...at, uids: [1], weights: [1], versionKey: p.weightsVersionKey - 1 }),
      "IncorrectWeightVersionKey",
    );
    await rejects(h.chain.setWeights(h.validator, { ...at, uids: [1, 1], weights: [1, 1] }), "DuplicateUids");
    await rejects(
      h.chain.setWeights(h.validator, { ...at, uids: [1, 999], weights: [1, 1] }),
      "UidVecContainInvalidOne",
    );
    await rejects(h.chain.setWeights(h.validator, { ...at, uids: [1, 2], weights: [1] }), "WeightVecNotEqualSize");
    await rejects(
      h.chain.setWeights(h.stranger, { ...at, uids: [1], weights: [1] }),
      "HotKeyNotRegisteredInSubNet",
    );
    // A lone self-weight needs no permit.
    await h.chain.setWeights(h.miners[0], { ...at, uids: [1], weights: [1] });
    assert.deepEqual((await h.chain.weights(h.netuid))[1], [[1, 65535]], "each setter has its own row");
  });

  test("commit-reveal v2: the reveal epoch counts from the including block; refusals by name", async (h) => {
    await h.setCommitReveal(true);
    const p = await h.chain.hyperparameters(h.netuid);
    assert.equal(p.commitRevealEnabled, true);
    assert.equal(p.commitRevealVersion, 2);
    const reveal = {
      netuid: h.netuid,
      uids: [1, 2],
      weights: [65535, 32768],
      salt: [7, 8, 9],
      versionKey: p.weightsVersionKey,
    };
    const hash = commitHash(h.validator.address, reveal);
    await rejects(h.chain.setWeights(h.validator, reveal), "CommitRevealEnabled");
    await rejects(h.chain.revealWeights(h.validator, reveal), "NoWeightsCommitFound");
    const { block } = await h.chain.commitWeights(h.validator, { netuid: h.netuid, hash });
    assert.deepEqual(await h.chain.weightCommits(h.netuid, h.validator.address), [{ hash: u8aToHex(hash), block }]);
    assert.equal((await h.chain.metagraph(h.netuid)).neurons[0].lastUpdate, block, "a commit moves LastUpdate");
    await rejects(h.chain.commitWeights(h.validator, { netuid: h.netuid, hash }), "CommittingWeightsTooFast");
    await rejects(h.chain.revealWeights(h.validator, reveal), "RevealTooEarly");
    await advanceToEpoch(h, epochIndex(block, h.netuid, p.tempo) + 1, p.tempo);
    await rejects(h.chain.revealWeights(h.validator, { ...reveal, salt: [1] }), "InvalidRevealCommitHashNotMatch");
    await h.chain.revealWeights(h.validator, reveal);
    assert.deepEqual(await h.chain.weightCommits(h.netuid, h.validator.address), []);
    assert.equal((await h.chain.metagraph(h.netuid)).neurons[0].lastUpdate, block, "a reveal leaves LastUpdate alone");
  });

  test("commit-reveal v2: an expired commit is refused, stays until the next commit drops it", async (h) => {
    await h.setCommitReveal(true);
    const p = await h.chain.hyperparameters(h.netuid);
    const reveal = { netuid: h.netuid, uids: [1], weights: [1], salt: [4, 2], versionKey: p.weightsVersionKey };
    const old = commitHash(h.validator.address, reveal);
    const { block } = await h.chain.commitWeights(h.validator, { netuid: h.netuid, hash: old });
    await advanceToEpoch(h, epochIndex(block, h.netuid, p.tempo) + 2, p.tempo); // past its reveal epoch
    await rejects(h.chain.revealWeights(h.validator, reveal), "ExpiredWeightCommit");
    assert.equal(
      (await h.chain.weightCommits(h.netuid, h.validator.address)).length,
      1,
      "a refused reveal changes nothing",
    );
    const fresh = commitHash(h.validator.address, { ...reveal, uids: [2] });
    const again = await h.chain.commitWeights(h.validator, { netuid: h.netuid, hash: fresh });
    assert.deepEqual(await h.chain.weightCommits(h.netuid, h.validator.address), [{
      hash: u8aToHex(fresh),
      block: again.block,
    }]);
    await rejects(h.chain.revealWeights(h.validator, reveal), "InvalidRevealCommitHashNotMatch");
  });

  test("commit-reveal switched off: set_weights works again and commits are refused", async (h) => {
    await h.setCommitReveal(true);
    await h.setCommitReveal(false);
    const p = await h.chain.hyperparameters(h.netuid);
    assert.equal(p.commitRevealEnabled, false);
    await rejects(
      h.chain.commitWeights(h.validator, { netuid: h.netuid, hash: new Uint8Array(32) }),
      "CommitRevealDisabled",
    );
    await h.advance(p.weightsRateLimit);
    await h.chain.setWeights(h.validator, {
      netuid: h.netuid,
      uids: [1],
      weights: [1],
      versionKey: p.weightsVersionKey,
    });
  });
}

/** Moves the chain to the first block of `epoch` (subtensor's epoch counting). */
export async function advanceToEpoch(
  h: { chain: Chain; netuid: number; advance(n: number): Promise<void> },
  epoch: number,
  tempo: number,
) {
  const now = await h.chain.currentBlock();
  const target = epoch * (tempo + 1) - (h.netuid + 1);
  if (target > now) await h.advance(target - now);
  assert.equal(epochIndex(await h.chain.currentBlock(), h.netuid, tempo), epoch);
}
