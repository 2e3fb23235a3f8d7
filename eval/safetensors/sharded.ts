/**
 * A model's weights across one `model.safetensors` or a sharded
 * `model.safetensors.index.json` + shards, as one validated name → tensor map.
 */
import { join } from "node:path";
import { readSafetensorsHeader, type SafetensorsHeader, type TensorEntry } from "./header.ts";

/** A tensor located in a specific file of the model directory. */
export interface WeightRef extends TensorEntry {
  /** File name relative to the model directory. */
  fileName: string;
}

/** All tensors of a model directory, each pointing at its file. */
export interface ModelWeights {
  dir: string;
  files: SafetensorsHeader[];
  tensors: Map<string, WeightRef>;
}

/** The single-file and index file names Hugging Face writes. */
export const SINGLE_FILE = "model.safetensors";
export const INDEX_FILE = "model.safetensors.index.json";

/** Shard names must be plain file names in the model directory (no paths, no traversal). */
const SHARD_NAME = /^[A-Za-z0-9._-]+\.safetensors$/;

/** Reads the headers of a model directory's safetensors file(s) and merges them. */
export async function readModelWeights(dir: string): Promise<ModelWeights> {
  const index = await readIndex(dir);
  const fileNames = index ? [...new Set(Object.values(index))].sort() : [SINGLE_FILE];
  const files: SafetensorsHeader[] = [];
  const tensors = new Map<string, WeightRef>();
  for (const fileName of fileNames) {
    let header: SafetensorsHeader;
    try {
      header = await readSafetensorsHeader(join(dir, fileName));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new TypeError(
          `Model has no "${fileName}" (expected ${index ? "by " + INDEX_FILE : "a single-file model"})`,
        );
      }
      throw e;
    }
    files.push(header);
    for (const entry of header.tensors.values()) {
      if (tensors.has(entry.name)) {
        throw new SyntaxError(
          `Tensor "${entry.name}" appears in both "${tensors.get(entry.name)!.fileName}" and "${fileName}"`,
        );
      }
      if (index && index[entry.name] !== fileName) {
        throw new SyntaxError(
          `Tensor "${entry.name}" is in "${fileName}" but ${INDEX_FILE} maps it to ${
            JSON.stringify(index[entry.name])
          }`,
        );
      }
      tensors.set(entry.name, { ...entry, fileName });
    }
  }
  if (index) {
    for (const name of Object.keys(index)) {
      if (!tensors.has(name)) throw new SyntaxError(`${INDEX_FILE} lists "${name}" but no shard holds it`);
    }
  }
  return { dir, files, tensors };
}

async function readIndex(dir: string): Promise<Record<string, string> | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(dir, INDEX_FILE));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`Cannot read "${INDEX_FILE}": ${(e as Error).message}`);
  }
  const map = (json as { weight_map?: unknown })?.weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map)) {
    throw new SyntaxError(`Cannot read "${INDEX_FILE}": no weight_map object`);
  }
  for (const [name, file] of Object.entries(map)) {
    if (typeof file !== "string" || !SHARD_NAME.test(file) || file.startsWith(".")) {
      throw new SyntaxError(
        `Cannot read "${INDEX_FILE}": shard ${
          JSON.stringify(file)
        } for "${name}" is not a plain .safetensors file name`,
      );
    }
  }
  return map as Record<string, string>;
}
