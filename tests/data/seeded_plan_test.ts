import assert from "node:assert/strict";
import {
  DATASETS,
  PagePlanner,
  SeededStream,
  seedFromBlockHash,
  seedFromHex,
  syncBlock,
  toHex,
} from "../../src/mod.ts";

Deno.test("seedFromBlockHash() is SHA-256 of the hash bytes (coreutils vector)", () => {
  // printf 'a%.0s' {1..64} | xxd -r -p | sha256sum
  assert.equal(
    toHex(seedFromBlockHash("0x" + "a".repeat(64))),
    "e0e77a507412b120f6ede61f62295b1a7b2ff19d3dcc8f7253e51663470c888e",
  );
  assert.throws(() => seedFromBlockHash("0x1234"), /32 bytes of hex/);
  assert.throws(() => seedFromHex("zz".repeat(32)), /32 bytes of hex/);
});

Deno.test("syncBlock() rounds down to a multiple of 150", () => {
  assert.deepEqual([0, 149, 150, 299, 300, 4_000_123].map(syncBlock), [0, 0, 150, 150, 300, 4_000_050]);
});

Deno.test("the Falcon plan matches an independent reimplementation of the documented PRNG", () => {
  // Python, from the module doc: int.from_bytes(sha256(seed + b'falcon' + b'\0' + i.to_bytes(8,'big'))[:8], 'big') % (968000015 - 100 + 1)
  const plan = new PagePlanner(seedFromHex("11".repeat(32)), "falcon", DATASETS.falcon).take(2);
  assert.deepEqual(plan, [
    { config: "default", offset: 896980418, length: 100 },
    { config: "default", offset: 766412034, length: 100 },
  ]);
});

Deno.test("SeededStream.uniform() stays in range and covers it", () => {
  const s = new SeededStream(seedFromHex("22".repeat(32)), "t");
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const x = s.uniform(7);
    assert.ok(Number.isInteger(x) && x >= 0 && x < 7);
    seen.add(x);
  }
  assert.equal(seen.size, 7);
  assert.equal(new SeededStream(seedFromHex("22".repeat(32)), "t").uniform(1), 0);
  assert.throws(() => s.uniform(0), /positive safe integer/);
});

Deno.test("page plans: same seed and task → same pages; other seed or task → different", () => {
  const seed = seedFromHex("33".repeat(32));
  const a = new PagePlanner(seed, "falcon", DATASETS.falcon).take(5);
  assert.deepEqual(new PagePlanner(seed, "falcon", DATASETS.falcon).take(5), a);
  assert.notDeepEqual(new PagePlanner(seedFromHex("34".repeat(32)), "falcon", DATASETS.falcon).take(5), a);
  assert.notDeepEqual(new PagePlanner(seed, "falcon-2", DATASETS.falcon).take(5), a);
  for (const p of a) assert.ok(p.offset >= 0 && p.offset + p.length <= 968_000_015);
});

Deno.test("from-size plans pick configs in name order, skip configs smaller than a page, and align offsets", () => {
  const sizes = [{ config: "b", rows: 1000 }, { config: "tiny", rows: 99 }, { config: "a", rows: 250 }];
  const shuffled = [sizes[2], sizes[0], sizes[1]];
  const seed = seedFromHex("44".repeat(32));
  const plan = new PagePlanner(seed, "fw", DATASETS.fineweb, sizes).take(40);
  assert.deepEqual(new PagePlanner(seed, "fw", DATASETS.fineweb, shuffled).take(40), plan);
  assert.ok(plan.every((p) => p.config !== "tiny" && p.offset % 100 === 0 && p.length === 100));
  assert.ok(plan.every((p) => (p.config === "a" ? p.offset <= 100 : p.offset <= 900)));
  assert.deepEqual(new Set(plan.map((p) => p.config)), new Set(["a", "b"]));
  assert.throws(
    () => new PagePlanner(seed, "fw", DATASETS.fineweb, [{ config: "tiny", rows: 5 }]),
    /no config with at least 100 rows/,
  );
  assert.throws(() => new PagePlanner(seed, "fw", DATASETS.fineweb), /no sizes were given/);
});
