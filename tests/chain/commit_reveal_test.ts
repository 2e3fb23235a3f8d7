import assert from "node:assert/strict";
import { u8aToHex } from "@polkadot/util";
import {
  commitHash,
  commitPayload,
  compactLength,
  devKey,
  firstBlockOfEpoch,
  revealEpochOf,
  weightsRateLimited,
} from "../../src/mod.ts";

Deno.test("commitHash() matches a hand-built SCALE payload hashed with blake2b-256 (Python hashlib)", async () => {
  const alice = await devKey("Alice");
  // AccountId32 ‖ u16 1 ‖ Vec<u16>[0,1] ‖ Vec<u16>[65535,32768] ‖ Vec<u16>[1,2,3] ‖ u64 7
  const payload = "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d" + "0100" + "08" + "00000100" +
    "08" + "ffff0080" +
    "0c" + "010002000300" + "0700000000000000";
  const reveal = { netuid: 1, uids: [0, 1], weights: [65535, 32768], salt: [1, 2, 3], versionKey: 7 };
  assert.equal(u8aToHex(commitPayload(alice.address, reveal)), "0x" + payload);
  // python3 -c "import hashlib; print(hashlib.blake2b(bytes.fromhex(payload), digest_size=32).hexdigest())"
  assert.equal(
    u8aToHex(commitHash(alice.address, reveal)),
    "0x84ed4134a6dddef9d099896aa6b154cbcf9b4a9b0f77446ada0d1b578243217d",
  );
});

Deno.test("compactLength() uses SCALE's one-, two- and four-byte modes", () => {
  assert.deepEqual([...compactLength(0)], [0x00]);
  assert.deepEqual([...compactLength(63)], [0xfc]);
  assert.deepEqual([...compactLength(64)], [0x01, 0x01]);
  assert.deepEqual([...compactLength(16383)], [0xfd, 0xff]);
  assert.deepEqual([...compactLength(16384)], [0x02, 0x00, 0x01, 0x00]);
});

Deno.test("revealEpochOf() and weightsRateLimited(): subtensor's epoch counting and rate limit, by hand", () => {
  // tempo 10, netuid 1: epoch = ⌊(block + 2) / 11⌋. A commit in block 20 is in epoch 2; with a
  // reveal period of 1 it is revealed in epoch 3, whose first block is 3·11 − 2 = 31.
  assert.equal(revealEpochOf(20, 1, { tempo: 10, revealPeriodEpochs: 1 }), 3);
  assert.equal(revealEpochOf(19, 1, { tempo: 10, revealPeriodEpochs: 1 }), 2, "block 19 is still epoch 1");
  assert.equal(revealEpochOf(20, 1, { tempo: 10, revealPeriodEpochs: 3 }), 5);
  assert.equal(firstBlockOfEpoch(3, 1, 10), 31);
  // check_rate_limit passes when current − last ≥ limit; lastUpdate 0 means "never set".
  assert.equal(weightsRateLimited(0, 5, 100), false);
  assert.equal(weightsRateLimited(10, 109, 100), true);
  assert.equal(weightsRateLimited(10, 110, 100), false);
});
