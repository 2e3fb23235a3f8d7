/**
 * Timelocked commit-reveal against its references:
 * - drand quicknet's published pulse for round 1000 (the signature subtensor's and the tle
 *   crate's own tests use, `pallets/subtensor/src/tests/weights.rs`) verifies under quicknet's
 *   public key with our hash-to-curve: the identity, DST and point encodings are drand's;
 * - the tle crate itself, as its WASM build (@ideallabs/timelock_wasm_wrapper, used here only
 *   as the independent reference): its ciphertexts decrypt with our code and that real
 *   signature, and ours decrypt with its `tld`, which is the function the runtime calls;
 * - the SCALE payload and the SDK's reveal-round formula (bittensor-drand `generate_commit`),
 *   hand-computed.
 * What cannot be checked offline: a live chain's pallet_drand pulses and its reveal of our
 * commit. The local chain runs that path end to end with its own beacon.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import init, { tld, tle } from "@ideallabs/timelock_wasm_wrapper";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { decodeAddress } from "@polkadot/util-crypto";
import {
  decodeWeightsPayload,
  devKey,
  encodeWeightsPayload,
  identityPoint,
  LocalChain,
  QUICKNET,
  revealRound,
  roundIdentity,
  timelockDecrypt,
  timelockEncrypt,
} from "../../src/mod.ts";
import { tempDir } from "../helpers/temp.ts";

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16));
/** api.drand.sh/52db9b…/public/1000 */
const ROUND_1000_SIGNATURE = hex(
  "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39",
);

const reference = (async () => {
  const wasm = new URL("./timelock_wasm_wrapper_bg.wasm", import.meta.resolve("@ideallabs/timelock_wasm_wrapper"));
  await init({ module_or_path: await Deno.readFile(wasm) });
  return { tle, tld };
})();

Deno.test("drand quicknet's round-1000 pulse verifies under its public key with our identity hashing", () => {
  const sig = bls12_381.G1.Point.fromBytes(ROUND_1000_SIGNATURE);
  const pk = bls12_381.G2.Point.fromBytes(QUICKNET.publicKey);
  const lhs = bls12_381.pairing(sig, bls12_381.G2.Point.BASE);
  const rhs = bls12_381.pairing(identityPoint(roundIdentity(1000)), pk);
  assert.ok(bls12_381.fields.Fp12.eql(lhs, rhs), "e(sig, G2) = e(H(sha256(1000)), pk)");
  const wrong = bls12_381.pairing(identityPoint(roundIdentity(1001)), pk);
  assert.ok(!bls12_381.fields.Fp12.eql(lhs, wrong), "and not for another round");
});

Deno.test("the tle reference's ciphertexts decrypt with our code and the real round-1000 signature", async () => {
  const ref = await reference;
  for (const message of [new TextEncoder().encode("this is a test"), new Uint8Array(1000).map((_, i) => i % 251)]) {
    const ciphertext = new Uint8Array(
      ref.tle(roundIdentity(1000), message, new Uint8Array(32).fill(2), QUICKNET.publicKey, "bls12_381"),
    );
    assert.deepEqual(timelockDecrypt(ciphertext, ROUND_1000_SIGNATURE), message);
  }
});

Deno.test("our ciphertexts decrypt with the tle reference's tld (the runtime's function) and the real signature", async () => {
  const ref = await reference;
  const payload = encodeWeightsPayload({
    hotkey: (await devKey("Alice")).address,
    uids: [0, 5, 9],
    values: [65535, 12, 700],
    versionKey: 4,
  });
  const ours = timelockEncrypt(payload, roundIdentity(1000), QUICKNET.publicKey);
  assert.equal(ours.length, 244 + payload.length, "U 96 + V, W 2×(8+32); body 8 + (8+n+16) + (8+12); suite 8+8");
  assert.deepEqual(new Uint8Array(ref.tld(ours, ROUND_1000_SIGNATURE, "bls12_381")), payload);
  assert.throws(() =>
    ref.tld(timelockEncrypt(payload, roundIdentity(1001), QUICKNET.publicKey), ROUND_1000_SIGNATURE, "bls12_381")
  );
  assert.throws(() => timelockDecrypt(ours.slice(0, -1), ROUND_1000_SIGNATURE), /timelock/);
  const tampered = ours.slice();
  tampered[200] ^= 1;
  assert.throws(() => timelockDecrypt(tampered, ROUND_1000_SIGNATURE));
});

Deno.test("WeightsTlockPayload is SCALE {hotkey: Vec<u8>, uids: Vec<u16>, values: Vec<u16>, version_key: u64}", async () => {
  const alice = await devKey("Alice");
  const bytes = encodeWeightsPayload({ hotkey: alice.address, uids: [1, 300], values: [65535, 2], versionKey: 7 });
  const expected = new Uint8Array([
    32 << 2,
    ...decodeAddress(alice.address), // compact(32) then the public key
    2 << 2,
    1,
    0,
    0x2c,
    0x01, // uids: compact(2), 1, 300
    2 << 2,
    0xff,
    0xff,
    2,
    0, // values
    7,
    0,
    0,
    0,
    0,
    0,
    0,
    0, // version_key u64 LE
  ]);
  assert.deepEqual(bytes, expected);
  const back = decodeWeightsPayload(bytes);
  assert.deepEqual(back.uids, [1, 300]);
  assert.equal(back.versionKey, 7n);
  assert.throws(() => decodeWeightsPayload(bytes.slice(0, -1)), /ends early/);
  assert.throws(() => decodeWeightsPayload(new Uint8Array([...bytes, 0])), /trailing/);
});

Deno.test("revealRound(): bittensor-drand's rule, hand-computed", () => {
  // tempo 360, netuid 9, block 1000: epoch ⌊1010/361⌋ = 2, reveal epoch 3, first block 3·361 − 10 = 1073,
  // +3 → 1076, 76 blocks · 12 s = 912 s after now; round ⌊(now + 912 − genesis) / 3⌋.
  const now = 1_800_000_000;
  assert.equal(
    revealRound({
      currentBlock: 1000,
      netuid: 9,
      tempo: 360,
      revealPeriodEpochs: 1,
      blockTimeSeconds: 12,
      nowSeconds: now,
    }),
    Math.floor((now + 912 - QUICKNET.genesisTime) / 3),
  );
  // Block 1100 is in epoch ⌊1110/361⌋ = 3; two reveal epochs → epoch 5, first block 5·361 − 10 = 1795.
  assert.equal(
    revealRound({
      currentBlock: 1100,
      netuid: 9,
      tempo: 360,
      revealPeriodEpochs: 2,
      blockTimeSeconds: 12,
      nowSeconds: now,
    }),
    Math.floor((now + (1795 + 3 - 1100) * 12 - QUICKNET.genesisTime) / 3),
  );
  assert.equal(
    revealRound({ currentBlock: 0, netuid: 0, tempo: 1, revealPeriodEpochs: 0, blockTimeSeconds: 12, nowSeconds: 0 }),
    1,
  );
});

Deno.test("local chain: a timelocked commit is revealed by the chain in its reveal epoch with the local beacon's pulse", async () => {
  const chain = LocalChain.open(join(await tempDir(), "c.sqlite"), { clock: { kind: "manual" } });
  chain.createSubnet(1, { tempo: 10, weightsRateLimit: 2, commitRevealEnabled: true, commitRevealVersion: 4 });
  const [validator, miner, other] = await Promise.all(["Alice", "Bob", "Charlie"].map((n) => devKey(n)));
  for (const k of [validator, miner, other]) await chain.register(1, k.address, k);
  chain.addStake(validator.address, 10n ** 12n);
  chain.advance(11);
  const p = await chain.hyperparameters(1);
  const beacon = await chain.timelockBeacon();
  const block = await chain.currentBlock();
  const round = revealRound({
    currentBlock: block,
    netuid: 1,
    tempo: p.tempo,
    revealPeriodEpochs: p.revealPeriodEpochs,
    blockTimeSeconds: beacon.blockTimeSeconds,
    nowSeconds: beacon.nowSeconds,
    beacon,
  });
  const sealed = (hotkey: string) =>
    timelockEncrypt(
      encodeWeightsPayload({ hotkey, uids: [1, 2], values: [65535, 100], versionKey: 0 }),
      roundIdentity(round),
      beacon.publicKey,
    );
  // The beacon is drand's construction with the chain's own key: a pulse verifies under its public
  // key and opens the commit; a round not yet reached has no pulse.
  assert.equal(chain.pulse(round), undefined, "the reveal round is in the future");
  const later = Math.floor(((block + 5) * beacon.blockTimeSeconds) / beacon.periodSeconds);
  chain.advance(5);
  const pulse = chain.pulse(later)!;
  assert.ok(bls12_381.fields.Fp12.eql(
    bls12_381.pairing(bls12_381.G1.Point.fromBytes(pulse), bls12_381.G2.Point.BASE),
    bls12_381.pairing(identityPoint(roundIdentity(later)), bls12_381.G2.Point.fromBytes(beacon.publicKey)),
  ));
  const commit = (commitRevealVersion: number) => ({
    netuid: 1,
    commit: sealed(validator.address),
    revealRound: round,
    commitRevealVersion,
  });
  await assert.rejects(() => chain.commitTimelockedWeights(validator, commit(3)), /IncorrectCommitRevealVersion/);
  await chain.commitTimelockedWeights(validator, commit(4));
  await chain.commitTimelockedWeights(miner, commit(4)); // a payload naming someone else
  assert.deepEqual((await chain.weights(1))[0], undefined, "nothing is set before the reveal epoch");
  chain.advance(15);
  assert.deepEqual(
    (await chain.weights(1))[0],
    [[1, 65535], [2, 100]],
    "the chain decrypted and set the validator's weights",
  );
  assert.equal((await chain.weights(1))[1], undefined, "a payload for another hotkey is dropped");
  await chain.close();
});
