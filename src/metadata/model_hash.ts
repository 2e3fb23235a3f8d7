/**
 * The model hash a miner commits, bound to their hotkey, so a validator can tell that the files
 * it downloaded are the ones committed and that nobody copied another hotkey's commitment.
 *
 * File set (paths relative to the model directory):
 *   required: `config.json`, and either `model.safetensors` or `model.safetensors.index.json`
 *             plus every shard its `weight_map` names;
 *   optional, when present: `generation_config.json`, `tokenizer.json`, `tokenizer_config.json`,
 *             `special_tokens_map.json`, `vocab.json`, `merges.txt`, `tokenizer.model`,
 *             `added_tokens.json`.
 * An adapter (a PEFT LoRA directory: `adapter_config.json` and no `config.json`) has the file set
 *   `adapter_config.json`, `adapter_model.safetensors`.
 * Nothing else is hashed or downloaded.
 *
 *   file_hash(f)   = base64(SHA-256(bytes of f))                    (44 ASCII characters)
 *   hash           = base64(SHA-256(file_hash(f1) ‖ file_hash(f2) ‖ …)), files in ascending
 *                    byte order of their paths, the file hashes concatenated as ASCII text
 *   secure_hash    = base64(SHA-256(UTF-8(hash ‖ hotkey_ss58)))
 *
 * (This is SN9's `hash_directory` and `get_hash_of_two_strings`, over an explicit file set.)
 * Check with other tools: `sha256sum -b f | xxd -r -p | base64` gives file_hash(f).
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  ADAPTER_CONFIG,
  ADAPTER_WEIGHTS,
  byteOrder,
  CONFIG_FILE,
  fullModelFiles,
  INDEX_FILE,
  localModelFiles,
  parseIndex,
  readIndexText,
  type RejectionCode,
  SINGLE_FILE,
} from "../../eval/mod.ts";

/**
 * Optional files hashed when present. They are listed in the engine (eval/files/file_set.ts), which
 * counts them in the byte cap, and eval/ cannot import src/.
 */
export { OPTIONAL_MODEL_FILES } from "../../eval/mod.ts";

/** The rule a listing breaks, as the engine's rejection code for the same files found locally. */
export type FileSetRule = Extract<RejectionCode, "config" | "files" | "safetensors">;

/**
 * A listing that is no model's file set. `code` carries the rule, so a caller maps it without
 * reading the message: "config" when config.json is missing, "safetensors" when the index cannot
 * be parsed, "files" for any other missing file.
 */
export class FileSetError extends Error {
  constructor(readonly code: FileSetRule, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FileSetError";
  }
}

/**
 * The hashed file set of a model given the names present (from a listing, local or remote) and,
 * for sharded models, the index's text. Throws `FileSetError` when required files are missing or
 * the index cannot be read.
 */
export function modelFileSet(present: Iterable<string>, indexText?: string): string[] {
  const names = new Set(present);
  if (!names.has(CONFIG_FILE) && names.has(ADAPTER_CONFIG)) {
    if (!names.has(ADAPTER_WEIGHTS)) {
      throw new FileSetError("files", `${ADAPTER_WEIGHTS} is missing (next to ${ADAPTER_CONFIG})`);
    }
    return [ADAPTER_CONFIG, ADAPTER_WEIGHTS];
  }
  if (!names.has(CONFIG_FILE)) throw new FileSetError("config", `${CONFIG_FILE} is missing`);
  const sharded = names.has(INDEX_FILE);
  let shards: string[];
  if (sharded) {
    if (indexText === undefined) throw new FileSetError("files", `${INDEX_FILE} must be read to know the shards`);
    try {
      shards = shardsOf(indexText);
    } catch (e) {
      // The engine refuses an unparseable index as "safetensors" when it reads one locally.
      throw new FileSetError(e instanceof SyntaxError ? "safetensors" : "files", (e as Error).message, { cause: e });
    }
  } else if (names.has(SINGLE_FILE)) {
    shards = [SINGLE_FILE];
  } else {
    throw new FileSetError("files", `no ${SINGLE_FILE} or ${INDEX_FILE}`);
  }
  // The composition is the engine's, so that its byte cap counts these very files.
  const files = fullModelFiles(shards, sharded, (f) => names.has(f));
  for (const f of files) if (!names.has(f)) throw new FileSetError("files", `${f} is missing (named by the index)`);
  return files;
}

/** Shard file names from an index's text (the engine's index rule: plain `.safetensors` names). */
export function shardsOf(indexText: string): string[] {
  return [...new Set(parseIndex(indexText).values())].sort(byteOrder);
}

/** The hashed file set of a local model directory. */
export async function localModelFileSet(dir: string): Promise<string[]> {
  const present: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile || e.isSymlink) present.push(e.name);
  // The engine's reader: a regular file, under the index's cap.
  const index = present.includes(INDEX_FILE) ? await readIndexText(await localModelFiles(dir)) : undefined;
  return modelFileSet(present, index);
}

/** Whether a file set is an adapter's (see the file set rule above). */
export function isAdapterFileSet(files: readonly string[]): boolean {
  return files.includes(ADAPTER_CONFIG);
}

/** SHA-256 of one file, streamed. */
export async function fileSha256(path: string): Promise<Uint8Array> {
  return new Uint8Array(await digestFile(path));
}

/** SHA-256 of one file in hex: the form of a Git LFS pointer's oid and the Hub's `lfs.sha256`. */
export async function fileSha256Hex(path: string): Promise<string> {
  return (await digestFile(path)).toString("hex");
}

async function digestFile(path: string) {
  const h = createHash("sha256");
  using f = await Deno.open(path, { read: true });
  for await (const chunk of f.readable) h.update(chunk);
  return h.digest();
}

/** base64(SHA-256) of one file: SN9's per-file hash. */
export async function fileHash(path: string): Promise<string> {
  return btoa(String.fromCharCode(...await fileSha256(path)));
}

/** The model hash of a directory over its file set. */
export async function hashModelDir(dir: string): Promise<{ hash: string; files: string[] }> {
  const files = await localModelFileSet(dir);
  const fileHashes: string[] = [];
  for (const f of files) fileHashes.push(await fileHash(join(dir, f)));
  return { hash: combineFileHashes(fileHashes), files };
}

/** Combines per-file hashes (already in path order). */
export function combineFileHashes(fileHashes: string[]): string {
  const h = createHash("sha256");
  for (const fh of fileHashes) h.update(fh, "ascii");
  return h.digest("base64");
}

/** The hotkey-bound hash that goes into the metadata string. */
export function secureHash(hash: string, hotkeySs58: string): string {
  return createHash("sha256").update(hash + hotkeySs58, "utf8").digest("base64");
}

/** A model hash or a secure hash as written: base64 of a SHA-256, 44 characters. */
export function isBase64Sha256(s: unknown): s is string {
  return typeof s === "string" && /^[A-Za-z0-9+/]{43}=$/.test(s);
}
