/**
 * A sharded model's `model.safetensors.index.json`: `weight_map` maps each tensor name to the
 * shard that holds it. Shard names must be plain `.safetensors` file names in the model directory
 * (no paths, no traversal, no hidden files), and every tensor name must be one the model may have.
 */
import { parseStrictJson } from "../strict_json.ts";
import type { TensorEntry } from "./header.ts";

/** A tensor located in a specific file of the model directory. */
export interface WeightRef extends TensorEntry {
  /** File name in the model directory. */
  fileName: string;
}

/** The single-file and index file names Hugging Face writes. */
export const SINGLE_FILE = "model.safetensors";
export const INDEX_FILE = "model.safetensors.index.json";

/** Largest index file read. */
export const MAX_INDEX_BYTES = 10_000_000;

/** A shard name: a plain file name in the model directory. */
export const SHARD_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*\.safetensors$/;

/** Parses the index; returns tensor name → shard name. Throws `SyntaxError`/`TypeError` naming the rule. */
export function parseIndex(text: string, known?: (name: string) => boolean): Map<string, string> {
  const json = parseStrictJson(text, `"${INDEX_FILE}"`, 8);
  const map = (json as { weight_map?: unknown })?.weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map)) {
    throw new SyntaxError(`"${INDEX_FILE}" has no weight_map object`);
  }
  const out = new Map<string, string>();
  for (const [name, file] of Object.entries(map)) {
    if (typeof file !== "string" || !SHARD_NAME.test(file)) {
      throw new SyntaxError(
        `"${INDEX_FILE}": the shard ${JSON.stringify(file)?.slice(0, 80)} for ${
          JSON.stringify(name.slice(0, 80))
        } is not a plain .safetensors file name`,
      );
    }
    if (known && !known(name)) {
      throw new TypeError(
        `"${INDEX_FILE}" lists an unexpected tensor ${JSON.stringify(name.slice(0, 120))} (not part of this model)`,
      );
    }
    out.set(name, file);
  }
  return out;
}
