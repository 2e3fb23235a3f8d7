/**
 * From documents to equal-length sequences, as SN9 packs them: each document is tokenized
 * without special tokens, truncated to the tokenizer's maximum length, followed by one EOS;
 * the documents are concatenated in order and cut into sequences of exactly `sequenceLength`
 * tokens; the leftover tail is dropped.
 */
import { createHash } from "node:crypto";

/** What packing needs from a tokenizer. */
export interface TokenEncoder {
  encode(text: string): number[];
  eosTokenId: number;
  /** Documents are truncated to this many tokens before the EOS. */
  maxLength: number;
}

/** Token ids of each document: truncated, EOS appended. */
export function tokenizeDocuments(tokenizer: TokenEncoder, texts: readonly string[]): number[][] {
  return texts.map((text) => [...tokenizer.encode(text).slice(0, tokenizer.maxLength), tokenizer.eosTokenId]);
}

/** The packed stream cut into sequences; the tail shorter than `sequenceLength` is dropped. */
export function packSequences(documents: readonly number[][], sequenceLength: number): Int32Array[] {
  if (!Number.isInteger(sequenceLength) || sequenceLength < 2) {
    throw new RangeError(`sequence length must be an integer ≥ 2, got ${sequenceLength}`);
  }
  const total = documents.reduce((n, d) => n + d.length, 0);
  const count = Math.floor(total / sequenceLength);
  const stream = new Int32Array(count * sequenceLength);
  let at = 0;
  outer: for (const doc of documents) {
    for (const id of doc) {
      if (at === stream.length) break outer;
      stream[at++] = id;
    }
  }
  return Array.from({ length: count }, (_, i) => stream.subarray(i * sequenceLength, (i + 1) * sequenceLength));
}

/** SHA-256 (hex) of the packed sequences' token ids, each as a little-endian u32, in order. */
export function tokenStreamHash(sequences: readonly Int32Array[]): string {
  const h = createHash("sha256");
  for (const s of sequences) {
    const u = new Uint32Array(s);
    h.update(new Uint8Array(u.buffer));
  }
  return h.digest("hex");
}
