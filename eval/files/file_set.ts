/**
 * The files that make up a full model: what a validator downloads and hashes
 * (src/metadata/model_hash.ts: `modelFileSet` is the rule's entry point, with its errors) and what
 * the byte cap counts (byte_cap.ts). The composition lives here, in the engine, so that the
 * engine's own cap check on a local directory counts the very files the pre-download check
 * counts in a listing.
 */
import { INDEX_FILE } from "../safetensors/mod.ts";

/** A full model's config; the one file every full model has. */
export const CONFIG_FILE = "config.json";

/** Optional files of a full model, hashed, downloaded and counted when present; the engine never reads them. */
export const OPTIONAL_MODEL_FILES = [
  "generation_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "vocab.json",
  "merges.txt",
  "tokenizer.model",
  "added_tokens.json",
] as const;

/**
 * A full model's file set, in ascending byte order of the names: config.json, the index when
 * `sharded`, the weight files `shards` (the index's, or model.safetensors), and the optional
 * files `present` says exist. Checks nothing: the callers refuse what is missing, each with its
 * own message.
 */
export function fullModelFiles(
  shards: readonly string[],
  sharded: boolean,
  present: (name: string) => boolean,
): string[] {
  const files = [CONFIG_FILE, ...(sharded ? [INDEX_FILE] : []), ...shards, ...OPTIONAL_MODEL_FILES.filter(present)];
  return [...new Set(files)].sort(byteOrder);
}

/** Ascending byte order of ASCII names (the order the model hash concatenates files in). */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
