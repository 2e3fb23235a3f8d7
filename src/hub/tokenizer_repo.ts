/**
 * Tokenizers named by a Hub repo id (`ns/name`, or `ns/name@revision`) are fetched through the
 * same model store as models, so they follow the same conventions (HF_ENDPOINT, the shared cache,
 * resumable downloads, HF_HUB_OFFLINE) and land in the cache exactly as huggingface_hub would put
 * them, with `refs/{branch}` recording which commit a branch named.
 */
import { type ModelStore, writeCacheRef } from "./model_store.ts";

/** The files transformers.js reads for a tokenizer; those the repo has are fetched. */
export const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"] as const;

/** A `resolveRepo` for `loadTokenizer`: repo id → the snapshot directory holding its tokenizer files. */
export function tokenizerResolver(store: ModelStore, cacheDir: string): (repo: string) => Promise<string> {
  return async (spec) => {
    const [repo, revision = "main"] = spec.split("@");
    const listed = await store.revision(repo, revision);
    const files = listed.files.map((f) => f.path).filter((p) => (TOKENIZER_FILES as readonly string[]).includes(p));
    if (!files.includes("tokenizer.json")) {
      throw new TypeError(`tokenizer repo ${repo}@${revision} has no tokenizer.json`);
    }
    const { dir } = await store.download({ repo, commit: listed.commit, paths: files, cacheDir });
    if (revision !== listed.commit) await writeCacheRef({ cacheDir, repo, revision, commit: listed.commit });
    return dir;
  };
}
