/**
 * `deno task tokens`: text into a tokens file for `deno task eval --tokens`, packed as validators
 * pack pages (src/data/pack.ts): each document (the whole input, or each blank-line-separated
 * paragraph with --paragraphs) tokenized without special tokens, one EOS after it, the stream cut
 * into sequences of exactly --seq-len tokens, the shorter tail dropped. Exit 0 with the JSON on
 * stdout (or --out), 1 when the text makes no whole sequence, 2 on bad flags.
 */
import { BUNDLED_TOKENIZERS, loadTokenizer, packSequences, tokenizeDocuments } from "../src/mod.ts";
import { defineCommand, flags, main, readInputText } from "./cli/mod.ts";

export const command = defineCommand({
  name: "tokens",
  summary: "Text into a tokens file (a JSON array of equal-length token-id arrays) for deno task eval --tokens.",
  flags: {
    tokenizer: flags.string(`${BUNDLED_TOKENIZERS.join(" or ")} (bundled), a local directory, or a cached HF repo id`, {
      default: "gpt2",
      placeholder: "<name|dir|ns/name>",
    }),
    input: flags.string("the text, a file or - for stdin", { default: "-", placeholder: "<file|->" }),
    "seq-len": flags.int("tokens per sequence", { default: 128, min: 2, max: 1 << 20 }),
    rows: flags.int("keep at most this many sequences", { min: 1 }),
    paragraphs: flags.boolean("each blank-line-separated paragraph is a document with its own EOS"),
    "max-mb": flags.int("refuse more input than this many MiB", { default: 64, min: 1 }),
    out: flags.path("write the JSON here instead of stdout"),
    "cache-dir": flags.path("where bundled tokenizers are built", { default: ".cache" }),
  },
  examples: [
    "deno task tokens --tokenizer gpt2 --seq-len 128 < README.md > tokens.json",
    "deno task tokens --input README.md --tokenizer byte --seq-len 64 --rows 8 --out .cache/readme-tokens.json",
  ],
  async run({ flags: f }) {
    const text = await readInputText(f.input, { flag: "--input", maxBytes: f["max-mb"] * 2 ** 20 });
    const tokenizer = await loadTokenizer(f.tokenizer, { cacheDir: f["cache-dir"] });
    const documents = f.paragraphs ? text.split(/\n\s*\n/).filter((p) => p.trim() !== "") : [text];
    const tokens = tokenizeDocuments(tokenizer, documents);
    const total = tokens.reduce((n, d) => n + d.length, 0);
    const sequences = packSequences(tokens, f["seq-len"]).slice(0, f.rows);
    if (sequences.length === 0) {
      throw new RangeError(`the text is ${total} tokens, fewer than one sequence of ${f["seq-len"]}`);
    }
    const json = "[" + sequences.map((s) => JSON.stringify([...s])).join(",\n") + "]\n";
    if (f.out) await Deno.writeTextFile(f.out, json);
    else await Deno.stdout.write(new TextEncoder().encode(json));
    console.error(
      `${sequences.length} sequences of ${f["seq-len"]} tokens from ${documents.length} document${
        documents.length === 1 ? "" : "s"
      } (${total} tokens with EOS, ${tokenizer.name}, vocabulary ${tokenizer.vocabSize})${f.out ? ` in ${f.out}` : ""}`,
    );
  },
});

if (import.meta.main) await main(command);
