import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { devKey, LocalChain } from "../../src/mod.ts";
import { tempDir } from "../helpers/temp.ts";
import { chainConformance } from "./conformance.ts";
import { localHarness, NETUID } from "./harnesses.ts";

chainConformance("local chain", localHarness);

Deno.test("local chain: permits need stake (current subtensor's is_topk_nonzero); a permitless miner cannot weigh others", async () => {
  const h = await localHarness();
  try {
    const m = await h.chain.metagraph(NETUID);
    assert.deepEqual(m.neurons.map((n) => n.validatorPermit), [true, false, false, false]);
    const p = await h.chain.hyperparameters(NETUID);
    await assert.rejects(
      () =>
        h.chain.setWeights(h.miners[0], { netuid: NETUID, uids: [2], weights: [1], versionKey: p.weightsVersionKey }),
      /NeuronNoValidatorPermit/,
    );
  } finally {
    await h.close();
  }
});

Deno.test("local chain: an epoch pays the miner the validator weights, in bigint rao", async () => {
  const h = await localHarness();
  try {
    const p = await h.chain.hyperparameters(NETUID);
    await h.chain.setWeights(h.validator, {
      netuid: NETUID,
      uids: [2],
      weights: [65535],
      versionKey: p.weightsVersionKey,
    });
    await h.advance(p.tempo + 1);
    const after = await h.chain.metagraph(NETUID);
    assert.ok(Math.abs(after.neurons[2].incentive - 1) < 1e-9, `incentive ${after.neurons[2].incentive}`);
    assert.ok(after.neurons[2].emission > 0n);
    assert.equal(after.neurons[1].incentive, 0);
    assert.ok(after.neurons[0].dividends > 0.99);
  } finally {
    await h.close();
  }
});

Deno.test("local chain: stake above 2^53 rao stays exact through the epoch and the metagraph", async () => {
  const h = await localHarness();
  try {
    const big = 2n ** 60n + 12345n;
    h.chain.addStake(h.miners[2].address, big);
    const before = (await h.chain.metagraph(NETUID)).neurons[3].stake;
    assert.equal(before, big, "read back exactly");
    assert.notEqual(BigInt(Number(big)), big, "(a float64 would have lost the last digits)");
    await h.advance(11);
    const after = (await h.chain.metagraph(NETUID)).neurons[3];
    assert.equal(after.stake - before, after.emission, "emission is paid exactly into the big stake");
  } finally {
    await h.close();
  }
});

Deno.test("local chain: a timed clock produces a block every blockMs, lazily", async () => {
  let now = 1_000_000;
  const chain = LocalChain.open(join(await tempDir(), "c.sqlite"), {
    clock: { kind: "timed", blockMs: 100 },
    now: () => now,
  });
  assert.equal(await chain.currentBlock(), 0);
  now += 250;
  assert.equal(await chain.currentBlock(), 2);
  now += 10_000;
  assert.equal(await chain.currentBlock(), 102);
  assert.throws(() => chain.advance(1), /manual clock/);
  await chain.close();
});

Deno.test("local chain: state persists across reopen, and two handles on one file see each other's writes", async () => {
  const path = join(await tempDir(), "c.sqlite");
  const a = LocalChain.open(path, { clock: { kind: "manual" } });
  a.createSubnet(NETUID, { tempo: 5 });
  const alice = await devKey("Alice");
  await a.register(NETUID, alice.address, alice);
  a.advance(7);
  const b = LocalChain.open(path);
  assert.equal(await b.currentBlock(), 7);
  await b.setCommitment(NETUID, alice, "from b");
  assert.equal((await a.commitment(NETUID, alice.address))?.data, "from b");
  const hash = await a.blockHash(5);
  await a.close();
  await b.close();
  const c = LocalChain.open(path);
  assert.equal(await c.blockHash(5), hash);
  assert.equal(c.epochs(NETUID).length, 1); // (5 + 1 + 1) mod 6 = 1 … block 4 is the epoch block
  await c.close();
});

Deno.test("local chain: registering into a full subnet replaces the lowest-emission neuron", async () => {
  const chain = LocalChain.open(join(await tempDir(), "c.sqlite"), { clock: { kind: "manual" } });
  chain.createSubnet(NETUID, { maxAllowedUids: 2 });
  const [a, b, c] = await Promise.all(["Alice", "Bob", "Charlie"].map((n) => devKey(n)));
  assert.equal(await chain.register(NETUID, a.address, a), 0);
  chain.advance(1);
  assert.equal(await chain.register(NETUID, b.address, b), 1);
  chain.advance(1);
  assert.equal(await chain.register(NETUID, c.address, c), 0); // oldest of the zero-emission neurons
  const m = await chain.metagraph(NETUID);
  assert.deepEqual(m.neurons.map((n) => n.hotkey), [c.address, b.address]);
  assert.equal(m.neurons[0].blockAtRegistration, 2);
  await assert.rejects(() => chain.register(NETUID, c.address, c), /HotKeyAlreadyRegisteredInSubNet/);
  await chain.close();
});

Deno.test("local chain: kill -9 of a writing process loses no committed block and corrupts nothing", async () => {
  const path = join(await tempDir(), "c.sqlite");
  const writer = new URL("./local_chain_writer.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", writer, path],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const committed: number[] = [];
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  while (committed.length < 40) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const lines = buffer.split("\n");
    buffer = lines.pop()!;
    for (const line of lines) if (line.startsWith("committed ")) committed.push(Number(line.slice(10)));
  }
  child.kill("SIGKILL");
  await child.status;
  await reader.cancel().catch(() => {});
  assert.ok(committed.length >= 40, `writer reported ${committed.length} commits`);

  const db = new DatabaseSync(path);
  assert.equal((db.prepare("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check, "ok");
  db.close();
  const chain = LocalChain.open(path);
  const current = await chain.currentBlock();
  assert.ok(current >= committed.at(-1)!, `chain at ${current}, writer had committed ${committed.at(-1)}`);
  const alice = await devKey("Alice");
  const commitment = await chain.commitment(NETUID, alice.address);
  assert.ok(
    commitment && Number(commitment.data.split(" ")[1]) >= committed.at(-1)!,
    "the last reported commitment is there",
  );
  for (const b of committed) assert.match(await chain.blockHash(b), /^0x[0-9a-f]{64}$/);
  await chain.close();
});
