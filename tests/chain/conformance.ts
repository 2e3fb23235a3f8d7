/**
 * One conformance suite for every `Chain` implementation. A harness supplies a fresh chain with a
 * subnet whose validator (hotkey 0) holds stake and miners (hotkeys 1…) are registered, and a way
 * to move the chain forward by blocks.
 */
import assert from "node:assert/strict";
import type { KeyringPair } from "@polkadot/keyring/types";
import { type Chain, ChainRejected, commitHash } from "../../src/mod.ts";

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
  /** Turns commit-reveal on for the subnet. */
  enableCommitReveal(): Promise<void>;
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
    await assert.rejects(() => h.chain.blockHash(start + 100), RangeError);
  });

  test("the metagraph lists registered neurons by uid with their hotkeys and stake", async (h) => {
    const m = await h.chain.metagraph(h.netuid);
    assert.deepEqual(m.neurons.map((n) => n.hotkey), [h.validator.address, ...h.miners.map((k) => k.address)]);
    assert.deepEqual(m.neurons.map((n) => n.uid), m.neurons.map((_, i) => i));
    assert.ok(m.neurons[0].stake > 0);
    assert.ok(m.neurons[0].validatorPermit, "the staked validator holds a permit after an epoch");
  });

  test("commitments are read back with the block they were set at", async (h) => {
    const [m1, m2] = h.miners;
    await h.chain.setCommitment(h.netuid, m1, "alice:model:first");
    const at = await h.chain.currentBlock();
    assert.deepEqual(await h.chain.commitment(h.netuid, m1.address), {
      hotkey: m1.address,
      block: at,
      data: "alice:model:first",
    });
    await h.advance(2);
    await h.chain.setCommitment(h.netuid, m1, "alice:model:second");
    await h.chain.setCommitment(h.netuid, m2, "bob:model:x");
    const all = await h.chain.commitments(h.netuid);
    const mine = all.find((c) => c.hotkey === m1.address)!;
    assert.equal(mine.data, "alice:model:second");
    assert.equal(mine.block, at + 2);
    assert.equal(all.length, 2);
    assert.equal(await h.chain.commitment(h.netuid, h.stranger.address), null);
    await rejects(h.chain.setCommitment(h.netuid, h.stranger, "x"), "AccountNotAllowedCommit");
    await rejects(h.chain.setCommitment(h.netuid, m1, "x".repeat(129)), "SpaceLimitExceeded");
  });

  test("set_weights stores max-upscaled u16 weights and enforces subtensor's rules", async (h) => {
    const params = await h.chain.hyperparameters(h.netuid);
    const [m1, m2] = [1, 2];
    await h.chain.setWeights(h.netuid, h.validator, [m1, m2], [100, 50], params.weightsVersionKey);
    const after = await h.chain.metagraph(h.netuid);
    assert.equal(after.neurons[0].lastUpdate, await h.chain.currentBlock());
    await rejects(
      h.chain.setWeights(h.netuid, h.validator, [m1], [1], params.weightsVersionKey),
      "SettingWeightsTooFast",
    );
    await h.advance(params.weightsRateLimit);
    await rejects(
      h.chain.setWeights(h.netuid, h.validator, [m1], [1], params.weightsVersionKey - 1),
      "IncorrectWeightVersionKey",
    );
    await rejects(
      h.chain.setWeights(h.netuid, h.validator, [m1, m1], [1, 1], params.weightsVersionKey),
      "DuplicateUids",
    );
    await rejects(
      h.chain.setWeights(h.netuid, h.validator, [m1, 999], [1, 1], params.weightsVersionKey),
      "UidVecContainInvalidOne",
    );
    await rejects(
      h.chain.setWeights(h.netuid, h.validator, [m1, m2], [1], params.weightsVersionKey),
      "WeightVecNotEqualSize",
    );
    await rejects(
      h.chain.setWeights(h.netuid, h.miners[0], [m2], [1], params.weightsVersionKey),
      "NeuronNoValidatorPermit",
    );
    await rejects(
      h.chain.setWeights(h.netuid, h.stranger, [m1], [1], params.weightsVersionKey),
      "HotKeyNotRegisteredInSubNet",
    );
  });

  test("an epoch pays the miner the validator weights", async (h) => {
    const params = await h.chain.hyperparameters(h.netuid);
    await h.chain.setWeights(h.netuid, h.validator, [2], [65535], params.weightsVersionKey);
    const before = await h.chain.metagraph(h.netuid);
    await h.advance(params.tempo + 1);
    const after = await h.chain.metagraph(h.netuid);
    assert.ok(Math.abs(after.neurons[2].incentive - 1) < 1e-9, `incentive ${after.neurons[2].incentive}`);
    assert.ok(after.neurons[2].emission > 0);
    assert.ok(after.neurons[0].dividends > 0.99);
    assert.ok(after.neurons[2].stake > before.neurons[2].stake, "emission is paid into stake");
  });

  test("commit-reveal v2: commit, reveal one epoch later, and every refusal", async (h) => {
    await h.enableCommitReveal();
    const p = await h.chain.hyperparameters(h.netuid);
    assert.equal(p.commitRevealEnabled, true);
    const uids = [1, 2], values = [65535, 32768], salt = [7, 8, 9];
    await rejects(h.chain.setWeights(h.netuid, h.validator, uids, values, p.weightsVersionKey), "CommitRevealEnabled");
    await rejects(
      h.chain.revealWeights(h.netuid, h.validator, uids, values, salt, p.weightsVersionKey),
      "NoWeightsCommitFound",
    );
    await h.chain.commitWeights(
      h.netuid,
      h.validator,
      commitHash(h.validator.address, h.netuid, uids, values, salt, p.weightsVersionKey),
    );
    await rejects(
      h.chain.revealWeights(h.netuid, h.validator, uids, values, salt, p.weightsVersionKey),
      "RevealTooEarly",
    );
    await h.advance(p.tempo + 1); // next epoch
    await rejects(
      h.chain.revealWeights(h.netuid, h.validator, uids, values, [1], p.weightsVersionKey),
      "InvalidRevealCommitHashNotMatch",
    );
    await h.chain.revealWeights(h.netuid, h.validator, uids, values, salt, p.weightsVersionKey);
    assert.equal((await h.chain.metagraph(h.netuid)).neurons[0].lastUpdate, await h.chain.currentBlock());
    // A commit left past its reveal epoch expires.
    await h.advance(p.weightsRateLimit);
    await h.chain.commitWeights(
      h.netuid,
      h.validator,
      commitHash(h.validator.address, h.netuid, [1], [1], salt, p.weightsVersionKey),
    );
    await h.advance(3 * (p.tempo + 1));
    await rejects(
      h.chain.revealWeights(h.netuid, h.validator, [1], [1], salt, p.weightsVersionKey),
      "ExpiredWeightCommit",
    );
  });
}
