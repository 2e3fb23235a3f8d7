/**
 * Subtensor without a node: call encoding and storage decoding against mainnet runtime metadata
 * (fixtures/data/finney-v16.scale, a copy of shared/chain/finney-v16.scale), through the same codec the live client uses. No subtensor
 * node or RPC is reachable here, so the conformance suite runs on the local chain only.
 */
import assert from "node:assert/strict";
import { compactStripLength, u8aConcat, u8aToHex } from "@polkadot/util";
import { cryptoWaitReady, decodeAddress, xxhashAsU8a } from "@polkadot/util-crypto";
import {
  commitHash,
  commitmentInfo,
  decodeCommitment,
  devKey,
  dispatchErrorName,
  endpointFor,
  offlineRuntime,
  SubtensorChain,
} from "../../src/mod.ts";

const METADATA = new URL("../../fixtures/data/finney-v16.scale", import.meta.url);
await cryptoWaitReady();
const { registry, decorated } = offlineRuntime(await Deno.readFile(METADATA));
// deno-lint-ignore no-explicit-any
const tx = decorated.tx as any, query = decorated.query as any, errors = decorated.errors as any;

Deno.test("setWeights(1, [0, 1], [65535, 32768], 0) encodes to the known call data", () => {
  const call = tx.subtensorModule.setWeights(1, [0, 1], [65535, 32768], 0);
  assert.equal(call.toHex(), "0x07000100080000010008ffff00800000000000000000");
});

Deno.test("commitmentInfo() builds a RawN field: 'hello' encodes as 04 06 68656c6c6f", () => {
  const info = registry.createType("PalletCommitmentsCommitmentInfo", commitmentInfo("hello"));
  assert.equal(info.toHex(), "0x040668656c6c6f");
  const call = tx.commitments.setCommitment(3, commitmentInfo("hello"));
  assert.equal(call.toHex(), "0x12000300040668656c6c6f"); // pallet 18, call 0, netuid 3, the info
  assert.throws(() => commitmentInfo("x".repeat(129)), /at most 128/);
});

Deno.test("commitments.commitmentOf: storage key prefix and the decoded record", async () => {
  const alice = await devKey("Alice");
  const entry = query.commitments.commitmentOf;
  const prefix = u8aConcat(xxhashAsU8a("Commitments", 128), xxhashAsU8a("CommitmentOf", 128));
  const [, key] = compactStripLength(entry(1, alice.address)); // the helper length-prefixes the key
  assert.equal(u8aToHex(key.slice(0, 32)), u8aToHex(prefix));
  assert.ok(u8aToHex(key).includes(u8aToHex(decodeAddress(alice.address)).slice(2)), "the key carries the hotkey");
  const valueType = registry.createLookupType(entry.meta.type.asMap.value);
  const metadata =
    "alice:tiny-gpt2:0123456789abcdef0123456789abcdef01234567:TzSqCdDQdZvr9jiS5HQH94MtbNyVfC0m5T4qntSIgx8=:1";
  const stored = registry.createType(valueType, { deposit: 0, block: 4242, info: commitmentInfo(metadata) }).toU8a();
  const read = registry.createType(`Option<${valueType}>`, u8aConcat(new Uint8Array([1]), stored));
  assert.deepEqual(decodeCommitment(read), { block: 4242, data: metadata });
  assert.equal(decodeCommitment(registry.createType(`Option<${valueType}>`, null)), null);
});

Deno.test("dispatch errors decode to the pallet error's name", () => {
  for (
    const name of [
      "SettingWeightsTooFast",
      "CommitRevealEnabled",
      "IncorrectWeightVersionKey",
      "NeuronNoValidatorPermit",
    ]
  ) {
    const index = errors.subtensorModule[name].meta.index.toNumber();
    const err = registry.createType("DispatchError", {
      Module: { index: 7, error: u8aToHex(new Uint8Array([index, 0, 0, 0])) },
    }) as unknown as Parameters<typeof dispatchErrorName>[1];
    assert.equal(dispatchErrorName(registry, err), name);
  }
});

Deno.test("commit-reveal v2 calls carry the H256 hash and the reveal's arguments", async () => {
  const alice = await devKey("Alice");
  const hash = commitHash(alice.address, {
    netuid: 1,
    uids: [0, 1],
    weights: [65535, 32768],
    salt: [1, 2, 3],
    versionKey: 7,
  });
  const commit = tx.subtensorModule.commitWeights(1, u8aToHex(hash));
  assert.equal(commit.section, "subtensorModule");
  assert.equal(commit.method, "commitWeights");
  assert.equal(u8aToHex(commit.args[1].toU8a()), u8aToHex(hash));
  const reveal = tx.subtensorModule.revealWeights(1, [0, 1], [65535, 32768], [1, 2, 3], 7);
  assert.deepEqual(reveal.args.map((a: { toJSON(): unknown }) => a.toJSON()), [
    1,
    [0, 1],
    [65535, 32768],
    [1, 2, 3],
    7,
  ]);
  assert.equal(reveal.callIndex[0], 7);
});

Deno.test("this runtime keeps stake in TotalHotkeyAlpha (dynamic TAO), not Stake: the client must adapt", () => {
  assert.ok(query.subtensorModule.totalHotkeyAlpha);
  assert.equal(query.subtensorModule.stake, undefined);
  assert.ok(query.subtensorModule.commitRevealWeightsVersion, "timelocked commit-reveal is detectable");
});

Deno.test("endpointFor() maps network names and accepts ws URLs", () => {
  assert.match(endpointFor("finney"), /^wss:\/\//);
  assert.equal(endpointFor("ws://127.0.0.1:9944"), "ws://127.0.0.1:9944");
  assert.throws(() => endpointFor("mainnet"), /unknown network/);
});

Deno.test("SubtensorChain.connect() fails fast with a clear error when no node listens", async () => {
  await assert.rejects(
    () => SubtensorChain.connect("ws://127.0.0.1:9"),
    /cannot connect to subtensor at ws:\/\/127\.0\.0\.1:9: .*(failed to connect|refused|connect error)/i,
  );
});
