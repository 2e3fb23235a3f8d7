import assert from "node:assert/strict";
import {
  hfCacheSnapshot,
  loadTokenizer,
  packSequences,
  tokenizeDocuments,
  tokenStreamHash,
  writeBundledTokenizer,
} from "../../src/mod.ts";
import { tempDir } from "../helpers/temp.ts";

Deno.test("packing matches a hand-computed example: truncation, EOS placement, boundaries, dropped tail", async () => {
  const byte = await loadTokenizer("byte", { cacheDir: await tempDir() });
  const tok = { ...byte, maxLength: 4 }; // truncate documents to 4 tokens before the EOS
  const docs = tokenizeDocuments(tok, ["abc", "hello", "xy"]);
  // "abc"+EOS, "hell"+EOS (truncated), "xy"+EOS — EOS is 256, bytes are their own ids.
  assert.deepEqual(docs, [[97, 98, 99, 256], [104, 101, 108, 108, 256], [120, 121, 256]]);
  const seqs = packSequences(docs, 5); // 12 tokens → 2 sequences of 5, tail [121, 256] dropped
  assert.deepEqual(seqs.map((s) => Array.from(s)), [[97, 98, 99, 256, 104], [101, 108, 108, 256, 120]]);
  assert.deepEqual(packSequences(docs, 13), []); // fewer tokens than one sequence
  assert.deepEqual(packSequences(docs, 12).map((s) => s.length), [12]); // exact fit, nothing dropped
  assert.throws(() => packSequences(docs, 1), /≥ 2/);
});

Deno.test("tokenStreamHash() is SHA-256 of little-endian u32 ids", async () => {
  // printf '\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00' | sha256sum
  const expected = await crypto.subtle.digest("SHA-256", new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]));
  const hex = Array.from(new Uint8Array(expected), (b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(tokenStreamHash([Int32Array.from([1, 2]), Int32Array.from([3])]), hex);
});

Deno.test("the bundled GPT-2 tokenizer reproduces known GPT-2 encodings", async () => {
  const gpt2 = await loadTokenizer("gpt2", { cacheDir: await tempDir() });
  assert.equal(gpt2.vocabSize, 50257);
  assert.equal(gpt2.eosTokenId, 50256);
  assert.equal(gpt2.maxLength, 1024);
  assert.deepEqual(gpt2.encode("Hello world"), [15496, 995]);
  assert.deepEqual(gpt2.encode("Hello, world!"), [15496, 11, 995, 0]);
  assert.deepEqual(gpt2.encode("The quick brown fox"), [464, 2068, 7586, 21831]);
  assert.deepEqual(gpt2.encode("<|endoftext|>"), [50256]);
  assert.equal(gpt2.decode([464, 2068, 7586, 21831]), "The quick brown fox");
});

Deno.test("loadTokenizer() finds a repo id's snapshot in the standard Hugging Face cache", async () => {
  const hub = await tempDir();
  const sha = "a".repeat(40);
  const repo = `${hub}/models--someone--tok`;
  await Deno.mkdir(`${repo}/refs`, { recursive: true });
  await Deno.writeTextFile(`${repo}/refs/main`, sha);
  await writeBundledTokenizer("byte", `${repo}/snapshots/${sha}`);
  assert.equal(await hfCacheSnapshot("someone/tok", hub), `${repo}/snapshots/${sha}`);
  assert.equal(await hfCacheSnapshot("someone/other", hub), undefined);
  const tok = await loadTokenizer("someone/tok", {
    cacheDir: await tempDir(),
    resolveRepo: async (id) => (await hfCacheSnapshot(id, hub))!,
  });
  assert.deepEqual(tok.encode("hi"), [104, 105]);
  assert.equal(tok.eosTokenId, 256);
});
