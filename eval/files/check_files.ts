/**
 * Every check that needs no tensor bytes, in one place for a local directory and a remote
 * revision alike (`ModelFiles`): config.json (bounded, strict JSON) → the architecture and its
 * spec → the index, if any (bounded; shard names plain; tensor names ones the model may have) →
 * each safetensors header (regular file, bounded, the sum of headers bounded, parsed strictly, an
 * unknown tensor refused while its header is read, before anything is merged) → the exact tensor
 * match → the competition's limits (the byte cap over the whole file set, byte_cap.ts). Peak
 * memory is bounded by the caps whatever the input.
 * Every broken rule is a `ModelRejected` naming the model, the file and the rule.
 */
import { type Architecture, findArchitecture, type ModelSpec, SUPPORTED_ARCHITECTURES } from "../architectures/mod.ts";
import { previewValue } from "../reason.ts";
import { ModelRejected, type RejectionCode } from "../rejected.ts";
import {
  INDEX_FILE,
  MAX_HEADER_BYTES,
  MAX_INDEX_BYTES,
  parseIndex,
  parseSafetensorsHeader,
  SINGLE_FILE,
} from "../safetensors/mod.ts";
import type { SafetensorsHeader, WeightRef } from "../safetensors/mod.ts";
import { knownTensorNames, matchTensors, type TensorMatch } from "../tensor_match.ts";
import { checkByteCap } from "./byte_cap.ts";
import { CONFIG_FILE, fullModelFiles } from "./file_set.ts";
import { FileRefused, type ModelFiles } from "./model_files.ts";
import { parseStrictJson } from "../strict_json.ts";

/** Largest config.json accepted. */
export const MAX_CONFIG_BYTES = 1_000_000;
/** Largest sum of the safetensors headers of one model. */
export const MAX_TOTAL_HEADER_BYTES = 64 * 2 ** 20;
/** config.json nesting (real configs nest two or three levels). */
const MAX_CONFIG_DEPTH = 16;

/** Limits a competition imposes; all optional. */
export interface ModelLimits {
  minParameters?: number;
  maxParameters?: number;
  /** Cap on the bytes of the hashed file set (byte_cap.ts: `checkByteCap`). */
  maxBytes?: number;
  architectures?: readonly string[];
}

/** What the checks found: enough to compile, with no tensor byte read. */
export interface FilesChecked {
  config: Record<string, unknown>;
  arch: Architecture;
  spec: ModelSpec;
  match: TensorMatch;
  /** The safetensors files, in name order, with their validated headers. */
  headers: SafetensorsHeader[];
  /** Every tensor in the files → where it is. */
  tensors: Map<string, WeightRef>;
  /** Bytes of the safetensors files. */
  weightBytes: number;
}

/** Runs the checks; throws `ModelRejected`. */
export async function checkModelFiles(
  files: ModelFiles,
  limits: ModelLimits = {},
  /** The index as a caller already read it with `readIndexText`, so it is not fetched twice. */
  preread?: { indexText: string | undefined },
): Promise<FilesChecked> {
  const label = files.label;
  const { reject, sizeOf } = rejectingPrimitives(files);

  // config.json → architecture → spec.
  const configSize = sizeOf(CONFIG_FILE);
  if (configSize === undefined) throw new ModelRejected("config", `${label}: config.json is missing`);
  if (configSize > MAX_CONFIG_BYTES) {
    throw new ModelRejected("config", `${label}: config.json is ${configSize} bytes (limit ${MAX_CONFIG_BYTES})`);
  }
  let config: Record<string, unknown>;
  try {
    config = parseConfigJson(new TextDecoder().decode(await files.read(CONFIG_FILE, 0, configSize)));
  } catch (e) {
    return reject("config", e);
  }
  const { arch, spec } = architectureOf(label, config, limits);
  const known = knownTensorNames(arch, spec);

  // The index, if any, names the shards.
  let index: Map<string, string> | undefined;
  const indexText = preread ? preread.indexText : await readIndexText(files);
  if (indexText !== undefined) {
    try {
      index = parseIndex(indexText, known);
    } catch (e) {
      return reject(e instanceof TypeError ? "tensors" : "safetensors", e);
    }
  }
  const shardNames = index ? [...new Set(index.values())].sort() : [SINGLE_FILE];

  // Every shard present and readable before any header is read.
  const sizes = new Map<string, number>();
  for (const fileName of shardNames) {
    const size = sizeOf(fileName);
    if (size === undefined) {
      throw new ModelRejected(
        "files",
        `${label}: ${fileName} is missing${index ? ` (named by ${INDEX_FILE})` : " (a single-file model needs it)"}`,
      );
    }
    sizes.set(fileName, size);
  }

  // Each header, one at a time, unknown tensors refused as they are met.
  const headers: SafetensorsHeader[] = [];
  const tensors = new Map<string, WeightRef>();
  let headerBytes = 0, weightBytes = 0;
  for (const fileName of shardNames) {
    const size = sizes.get(fileName)!;
    weightBytes += size;
    let header: SafetensorsHeader;
    try {
      const prefix = await readHeaderPrefix(files, fileName, {
        size,
        accept: (n) => {
          headerBytes += n;
          if (headerBytes > MAX_TOTAL_HEADER_BYTES) {
            throw new RangeError(`the safetensors headers total over ${MAX_TOTAL_HEADER_BYTES} bytes`);
          }
        },
      });
      header = parseSafetensorsHeader(prefix, size, fileName, { known });
    } catch (e) {
      return reject(
        e instanceof TypeError && /unexpected tensor/.test((e as Error).message) ? "tensors" : "safetensors",
        e,
      );
    }
    for (const entry of header.tensors.values()) {
      const other = tensors.get(entry.name);
      if (other) {
        throw new ModelRejected(
          "safetensors",
          `${label}: tensor ${JSON.stringify(entry.name)} appears in both "${other.fileName}" and "${fileName}"`,
        );
      }
      if (index && index.get(entry.name) !== fileName) {
        throw new ModelRejected(
          "safetensors",
          `${label}: tensor ${JSON.stringify(entry.name)} is in "${fileName}" but ${INDEX_FILE} maps it to ${
            JSON.stringify(index.get(entry.name) ?? null)
          }`,
        );
      }
      tensors.set(entry.name, { ...entry, fileName });
    }
    headers.push(header);
  }
  if (index) {
    for (const name of index.keys()) {
      if (!tensors.has(name)) {
        throw new ModelRejected(
          "safetensors",
          `${label}: ${INDEX_FILE} lists ${JSON.stringify(name)} but no shard holds it`,
        );
      }
    }
  }

  let match: TensorMatch;
  try {
    match = matchTensors(arch, spec, tensors.values());
  } catch (e) {
    return reject("tensors", e);
  }
  checkParameterLimits(label, match.parameterCount, limits);
  // The file set is sized only under a cap: its optional files are never read, so a check without
  // one looks at exactly the files it looked at before.
  if (limits.maxBytes !== undefined) {
    const fileSet = fullModelFiles(shardNames, index !== undefined, (name) => sizeOf(name) !== undefined);
    checkByteCap(label, fileSet.reduce((n, name) => n + (sizeOf(name) ?? 0), 0), limits.maxBytes);
  }
  return { config, arch, spec, match, headers, tensors, weightBytes };
}

/**
 * The checks' two primitives over a model's files, both rejecting: `reject` turns any error into
 * a `ModelRejected` naming the files (a refused file as "files"), `sizeOf` asks a file's size so.
 */
export function rejectingPrimitives(files: ModelFiles) {
  const reject = (code: RejectionCode, e: unknown): never => {
    if (e instanceof ModelRejected) throw e;
    throw new ModelRejected(e instanceof FileRefused ? "files" : code, `${files.label}: ${(e as Error).message}`, {
      cause: e,
    });
  };
  const sizeOf = (name: string): number | undefined => {
    try {
      return files.size(name);
    } catch (e) {
      return reject("files", e);
    }
  };
  return { reject, sizeOf };
}

/** The file's size, and a last check on its header's length before the header is read. */
export interface HeaderPrefixOptions {
  /** The file's size in bytes, as `files` lists it. */
  size: number;
  /** Throws to refuse a header of this many bytes (e.g. over a cap across files); default: accepts. */
  accept?: (headerLength: number) => void;
}

/**
 * A safetensors file's bytes up to the end of its header: its 8-byte length, then the header when
 * that length is plausible (under the cap and inside the file; `accept(n)` may refuse it first),
 * else just what was read, for the parser to refuse with the reason.
 */
export async function readHeaderPrefix(
  files: ModelFiles,
  fileName: string,
  { size, accept = () => {} }: HeaderPrefixOptions,
): Promise<Uint8Array> {
  const head = await files.read(fileName, 0, Math.min(8, size));
  if (head.length < 8) return head;
  const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES) || 8n + n > BigInt(size)) return head;
  accept(Number(n));
  return await files.read(fileName, 0, 8 + Number(n));
}

/** The index's text, read under its cap, or undefined for a single-file model. Throws `ModelRejected`. */
export async function readIndexText(files: ModelFiles): Promise<string | undefined> {
  let size: number | undefined;
  try {
    size = files.size(INDEX_FILE);
  } catch (e) {
    throw new ModelRejected("files", `${files.label}: ${(e as Error).message}`, { cause: e });
  }
  if (size === undefined) return undefined;
  if (size > MAX_INDEX_BYTES) {
    throw new ModelRejected("safetensors", `${files.label}: ${INDEX_FILE} is ${size} bytes (limit ${MAX_INDEX_BYTES})`);
  }
  return new TextDecoder().decode(await files.read(INDEX_FILE, 0, size));
}

/** Parses config.json text: a JSON object (strictly: no repeated key, bounded nesting) or a `SyntaxError`. */
export function parseConfigJson(text: string): Record<string, unknown> {
  const json = parseStrictJson(text, CONFIG_FILE, MAX_CONFIG_DEPTH);
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new SyntaxError("config.json is not a JSON object");
  }
  return json as Record<string, unknown>;
}

function architectureOf(
  label: string,
  config: Record<string, unknown>,
  limits: ModelLimits,
): { arch: Architecture; spec: ModelSpec } {
  const names = config.architectures;
  const name = Array.isArray(names) && names.length === 1 ? names[0] : undefined;
  if (typeof name !== "string") {
    throw new ModelRejected(
      "config",
      `${label}: config.json must name exactly one architecture, got ${previewValue(names)}`,
    );
  }
  const arch = findArchitecture(name);
  const allowed = limits.architectures ?? SUPPORTED_ARCHITECTURES;
  if (!arch || !allowed.includes(name)) {
    throw new ModelRejected(
      "architecture",
      `${label}: architecture ${previewValue(name)} is not allowed (allowed: ${allowed.join(", ")})`,
    );
  }
  try {
    return { arch, spec: arch.parseConfig(config, name) };
  } catch (e) {
    throw new ModelRejected("config", `${label}: ${(e as Error).message}`, { cause: e });
  }
}

function checkParameterLimits(label: string, params: number, limits: ModelLimits): void {
  const { minParameters, maxParameters } = limits;
  if (minParameters !== undefined && params < minParameters) {
    throw new ModelRejected("limits", `${label}: ${params} parameters is below the minimum ${minParameters}`);
  }
  if (maxParameters !== undefined && params > maxParameters) {
    throw new ModelRejected("limits", `${label}: ${params} parameters exceeds the maximum ${maxParameters}`);
  }
}
