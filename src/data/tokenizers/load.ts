/**
 * Loading a competition's tokenizer with @huggingface/transformers: a bundled one by name
 * ("gpt2", "byte", built once into the cache directory), a local directory holding
 * `tokenizer.json` + `tokenizer_config.json`, or a Hugging Face repo id (optionally
 * `repo@revision`), which `resolveRepo` turns into a local snapshot directory. The default
 * resolver only looks in the standard Hugging Face cache (`models--{ns}--{name}/snapshots/
 * {refs/main}`); the validator passes one that downloads through its model store, so tokenizer
 * files take the same path as models (HF_ENDPOINT, resumable downloads, the shared cache, the
 * offline mode). transformers.js itself is never allowed to reach the network.
 */
import { isAbsolute, join, resolve } from "node:path";
import { AutoTokenizer, env } from "@huggingface/transformers";
import { cacheFolderName, hfHubCache } from "../../hub/mod.ts";
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

/** Options for `loadTokenizer`. */
export interface TokenizerOptions {
  /** Where bundled tokenizers are built. */
  cacheDir: string;
  /** A repo id (`ns/name` or `ns/name@revision`) → a local directory holding its tokenizer files. */
  resolveRepo?: (repo: string) => Promise<string>;
}

/** Loads the tokenizer a competition names. */
export async function loadTokenizer(name: string, options: TokenizerOptions): Promise<TextTokenizer> {
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
    const resolveRepo = options.resolveRepo ??
      (async (repo: string) => {
        const found = await hfCacheSnapshot(repo, hfHubCache());
        if (!found) throw new TypeError(`tokenizer ${repo} is not in the Hugging Face cache ${hfHubCache()}`);
        return found;
      });
    dir = await resolveRepo(name);
  }
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  env.localModelPath = "";
  const tok = await AutoTokenizer.from_pretrained(resolve(dir), { local_files_only: true });
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

/** The snapshot directory of a repo's main ref in the Hugging Face cache `hub`, if it holds a tokenizer. */
export async function hfCacheSnapshot(repoId: string, hub: string): Promise<string | undefined> {
  const repoDir = join(hub, cacheFolderName(repoId));
  try {
    const sha = (await Deno.readTextFile(join(repoDir, "refs", "main"))).trim();
    const snapshot = join(repoDir, "snapshots", sha);
    await Deno.stat(join(snapshot, "tokenizer.json"));
    return snapshot;
  } catch {
    return undefined;
  }
}
