/**
 * Loading a competition's tokenizer with @huggingface/transformers: a bundled one by name
 * ("gpt2", "byte", built once into the cache directory), a local directory holding
 * `tokenizer.json` + `tokenizer_config.json`, or a Hugging Face repo id — taken from the standard
 * Hugging Face cache when a snapshot is there (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else
 * `~/.cache/huggingface/hub`: `models--{ns}--{name}/snapshots/{refs/main}`), otherwise fetched
 * by transformers.js into `<cacheDir>/transformers` (which needs network access).
 */
import { isAbsolute, join, resolve } from "node:path";
import { AutoTokenizer, env } from "@huggingface/transformers";
import type { TokenEncoder } from "../pack.ts";
import { BUNDLED_TOKENIZERS, type BundledTokenizer, writeBundledTokenizer } from "./bundled.ts";

/** A tokenizer ready for packing. */
export interface TextTokenizer extends TokenEncoder {
  /** What was asked for ("gpt2", a path, a repo id). */
  name: string;
  vocabSize: number;
  decode(ids: number[]): string;
}

/** Tokenizers documents are truncated to when the config sets no usable limit. */
const UNBOUNDED = 1 << 30;

/** Loads the tokenizer a competition names. */
export async function loadTokenizer(name: string, options: { cacheDir: string }): Promise<TextTokenizer> {
  let dir: string;
  if ((BUNDLED_TOKENIZERS as readonly string[]).includes(name)) {
    dir = join(options.cacheDir, "tokenizers", name);
    try {
      await Deno.stat(join(dir, "tokenizer_config.json"));
    } catch {
      await writeBundledTokenizer(name as BundledTokenizer, dir);
    }
  } else if (isAbsolute(name) || name.startsWith(".")) {
    dir = resolve(name);
  } else {
    dir = (await hfCacheSnapshot(name)) ?? name; // a repo id
  }
  const local = dir !== name || isAbsolute(name) || name.startsWith(".");
  env.allowLocalModels = true;
  env.localModelPath = "";
  env.cacheDir = join(options.cacheDir, "transformers");
  const tok = await AutoTokenizer.from_pretrained(dir, { local_files_only: local });
  const eos = tok.eos_token_id;
  if (typeof eos !== "number") throw new TypeError(`tokenizer ${name} has no EOS token`);
  const vocab = tok.get_vocab() as Map<string, number> | Record<string, number>;
  const declared = Number(tok.model_max_length);
  const maxLength = Number.isSafeInteger(declared) && declared > 0 && declared < UNBOUNDED ? declared : UNBOUNDED;
  return {
    name,
    eosTokenId: eos,
    maxLength,
    vocabSize: vocab instanceof Map ? vocab.size : Object.keys(vocab).length,
    encode: (text) => tok.encode(text, { add_special_tokens: false }),
    decode: (ids) => tok.decode(ids),
  };
}

/** The standard Hugging Face cache's snapshot directory for a repo's main ref, if it holds a tokenizer. */
export async function hfCacheSnapshot(repoId: string): Promise<string | undefined> {
  const home = Deno.env.get("HOME") ?? "";
  const hub = Deno.env.get("HF_HUB_CACHE") ??
    (Deno.env.get("HF_HOME") ? join(Deno.env.get("HF_HOME")!, "hub") : join(home, ".cache", "huggingface", "hub"));
  const repoDir = join(hub, `models--${repoId.replaceAll("/", "--")}`);
  try {
    const sha = (await Deno.readTextFile(join(repoDir, "refs", "main"))).trim();
    const snapshot = join(repoDir, "snapshots", sha);
    await Deno.stat(join(snapshot, "tokenizer.json"));
    return snapshot;
  } catch {
    return undefined;
  }
}
