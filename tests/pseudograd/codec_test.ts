/**
 * The pseudo-gradient codec against the worked examples of docs/pseudograd.md ("Chunking" to
 * "Decoding and the aggregate"), which were computed by running Templar's own functions
 * (tplr-ai/templar @ c2397ac524c9, `src/tplr/compress.py`: `_get_smaller_split`, `clamp_topk`,
 * `pack_12bit_indices`, `_quantize_values`, `decompress`, `batch_decompress`) with
 * `target_chunk = 4`, `topk = 2` and 4 bins; the numbers below are copied from that document, not
 * from this code.
 */
import assert from "node:assert/strict";
import {
  aggregateUpdates,
  chunkEdge,
  chunkGeometry,
  clampTopk,
  compressParameter,
  fromChunks,
  lowerMedian,
  pack12,
  scatterMean,
  sparseUpdate,
  toChunks,
  unpack12,
} from "../../src/pseudograd/mod.ts";

const close = (actual: ArrayLike<number>, expected: number[], tol: number, what: string) => {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
};

const SMALL = { chunk: 4, topk: 2, bins: 4, range: 6 };
const PEER1 = [0.5, -1.0, 0.1, 2.0, -0.3, 0.05, -2.5, 0.7];
const PEER2 = [0, 0.2, 0, 0.4, 0.1, 0, 0, -0.3];

Deno.test("chunk edges are the largest divisor not above the target, and the chunking inverts exactly", () => {
  assert.equal(chunkEdge(768, 64), 64);
  assert.equal(chunkEdge(50257, 64), 29, "50257 = 29 · 1733");
  assert.equal(chunkEdge(45, 64), 45, "an axis shorter than the target is one chunk");
  assert.equal(chunkEdge(2304, 64), 64);
  assert.equal(chunkEdge(97, 64), 1, "a prime above the target gives chunks of 1");
  const g = chunkGeometry([6, 4], 2);
  assert.deepEqual([g.edges, g.grid, g.totalk], [[2, 2], [3, 2], 4]);
  const values = Array.from({ length: 24 }, (_, i) => i);
  const chunked = toChunks(values, g);
  // Element (r, c) = (1, 3) sits in chunk (0, 1) at position (1 % 2)·2 + 3 % 2 = 3.
  assert.equal(chunked[1 * g.totalk + 3], 1 * 4 + 3);
  assert.deepEqual([...fromChunks(chunked, g)], values);
});

Deno.test("top-k is clamped to the chunk, at least 2 and even", () => {
  assert.equal(clampTopk(64, 4096), 64);
  assert.equal(clampTopk(64, 45), 44, "a 45-wide chunk gives 44");
  assert.equal(clampTopk(1, 4096), 2);
  assert.equal(clampTopk(63, 4096), 62);
  assert.throws(() => clampTopk(64, 1), /a chunk of 1 element cannot hold top-2/);
});

Deno.test("12-bit packing: (1234, 4000) is D2 04 FA, and unpacking inverts it", () => {
  assert.deepEqual([...pack12([1234, 4000])], [0xd2, 0x04, 0xfa]);
  assert.deepEqual([...unpack12(new Uint8Array([0xd2, 0x04, 0xfa]), 2)], [1234, 4000]);
  const many = Array.from({ length: 64 }, (_, i) => (i * 977) % 4096);
  assert.deepEqual([...unpack12(pack12(many), 64)], many);
  assert.throws(() => pack12([1, 2, 3]), /even count/);
  assert.throws(() => pack12([4096, 0]), /index 4096 at 0 does not fit in 12 bits/);
  assert.throws(() => unpack12(new Uint8Array(5), 4), /5 packed bytes do not hold 4 12-bit indices \(6 would\)/);
});

Deno.test("the worked quantisation: top-2, packing, shift, scale, codes, lookup and the decoded update", () => {
  const p = compressParameter(PEER1, [8], SMALL);
  assert.equal(p.k, 2);
  const update = sparseUpdate(p);
  // The order within a chunk is unspecified (torch.topk sorted=False); the sets are {3, 1} and {2, 3}.
  assert.deepEqual([...update.idx.slice(0, 2)].sort(), [1, 3]);
  assert.deepEqual([...update.idx.slice(2, 4)].sort(), [2, 3]);
  // This encoder keeps the larger magnitude first, so it writes the document's order and bytes.
  assert.deepEqual([...update.idx], [3, 1, 2, 3]);
  assert.deepEqual([...p.idxs], [0x03, 0x10, 0x00, 0x02, 0x30, 0x00]);
  close([p.shift], [-0.2], 1e-7, "shift");
  close([p.scale], [2.94703], 1e-5, "scale");
  assert.deepEqual([...p.codes], [3, 2, 1, 2]);
  close(p.lookup, [0, -2.3, 0.05, 2.2], 1e-6, "lookup");
  close(update.vals, [2.0, -0.15, -2.5, -0.15], 1e-6, "dequantised");
  const dense = scatterMean([update], { chunks: 2, totalk: 4 });
  close(dense, [0, -0.15, 0, 2.0, 0, 0, -2.5, -0.15], 1e-6, "decoded");
});

Deno.test("the worked two-peer aggregate: lower-median clip and the mean over the (peer, slot) entries", () => {
  const peers = [PEER1, PEER2].map((x) => sparseUpdate(compressParameter(x, [8], SMALL)));
  const { dense, factors } = aggregateUpdates(peers, 2, 4);
  close(factors, [0.16928, 1], 1e-5, "clip factors");
  close(dense, [0, 0.0623, 0, 0.3693, 0.15, 0, -0.4232, -0.1627], 1e-4, "aggregate");
  assert.equal(lowerMedian([3, 1, 4, 2]), 2, "an even count takes the lower middle value, as torch.median");
});

Deno.test("a zero update decodes to zeros, and a position sent twice in a chunk gets the mean of its values", () => {
  const zero = compressParameter(new Array(8).fill(0), [8], SMALL);
  assert.equal(zero.scale, 1, "a zero spread falls back to scale 1");
  close(scatterMean([sparseUpdate(zero)], { chunks: 2, totalk: 4 }), new Array(8).fill(0), 0, "zero update");
  const twice = { idx: Uint16Array.from([1, 1]), vals: Float32Array.from([1, 3]), k: 2 };
  close(scatterMean([twice], { chunks: 1, totalk: 4 }), [0, 2, 0, 0], 0, "duplicated position");
});
