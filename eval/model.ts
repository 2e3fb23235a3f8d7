/**
 * Loading a Hugging Face model directory for evaluation: config.json → architecture and spec,
 * safetensors headers → exact tensor match, limits, and a scan for non-finite weights. Nothing
 * here runs or trusts miner-supplied code; every failure is a `ModelRejected` with a reason.
 */
import { basename, join } from "node:path";
import { type Architecture, findArchitecture, type ModelSpec, SUPPORTED_ARCHITECTURES } from "./architectures/mod.ts";
import { ModelRejected, rejectAs } from "./rejected.ts";
import { type ModelWeights, readModelWeights, type WeightRef } from "./safetensors/mod.ts";
import { scanFinite } from "./safetensors/finite.ts";
import { type DeclaredTensor, matchTensors, type TensorMatch } from "./tensor_match.ts";

/** A model whose files passed every check and can be compiled. */
export interface CheckedModel {
  dir: string;
  /** A short label for messages (the directory name). */
  label: string;
  arch: Architecture;
  spec: ModelSpec;
  weights: ModelWeights;
  /** Canonical parameter name → its tensor in the files. */
  params: Map<string, WeightRef>;
  parameterCount: number;
  parameterBytes: number;
}

/** Limits a competition imposes; all optional. */
export interface ModelLimits {
  minParameters?: number;
  maxParameters?: number;
  maxBytes?: number;
  architectures?: readonly string[];
}

/** Options for `checkModel`. */
export interface CheckOptions {
  limits?: ModelLimits;
  /** Read every weight to reject NaN/Inf (default true). */
  scanWeights?: boolean;
}

/** Largest config.json accepted. */
export const MAX_CONFIG_BYTES = 1_000_000;

/** Reads config.json and the safetensors headers, and checks them against each other and `limits`. */
export async function checkModel(dir: string, options: CheckOptions = {}): Promise<CheckedModel> {
  const label = basename(dir);
  const raw = await rejectAs("config", label, () => readConfig(dir));
  const weights = await rejectAs("safetensors", label, () => readModelWeights(dir));
  const { arch, spec, match } = checkModelHeaders({
    label,
    config: raw,
    tensors: weights.tensors.values(),
    totalBytes: weights.files.reduce((n, f) => n + f.fileSize, 0),
    limits: options.limits,
  });
  const params = new Map<string, WeightRef>();
  for (const [canonical, key] of match.keys) params.set(canonical, weights.tensors.get(key)!);
  if (options.scanWeights ?? true) {
    await rejectAs("weights", label, () => scanFinite(weights.dir, [...params.values()]));
  }
  return {
    dir,
    label,
    arch,
    spec,
    weights,
    params,
    parameterCount: match.parameterCount,
    parameterBytes: match.parameterBytes,
  };
}

/** What `checkModelHeaders` needs: a parsed config.json and the tensors the headers declare. */
export interface DeclaredModel {
  label: string;
  config: Record<string, unknown>;
  tensors: Iterable<DeclaredTensor>;
  /** Bytes of the safetensors files. */
  totalBytes: number;
  limits?: ModelLimits;
}

/**
 * The checks that need no tensor bytes: architecture allowed, config sane, every tensor exactly
 * as the config implies, parameter count and bytes within limits. Used on local files and on
 * headers read over HTTP ranges before any download. Throws `ModelRejected`.
 */
export function checkModelHeaders(m: DeclaredModel): { arch: Architecture; spec: ModelSpec; match: TensorMatch } {
  const raw = m.config;
  const name = Array.isArray(raw.architectures) && raw.architectures.length === 1 ? raw.architectures[0] : undefined;
  if (typeof name !== "string") {
    throw new ModelRejected(
      "config",
      `${m.label}: config.json must name exactly one architecture, got ${JSON.stringify(raw.architectures)}`,
    );
  }
  const arch = findArchitecture(name);
  const allowed = m.limits?.architectures ?? SUPPORTED_ARCHITECTURES;
  if (!arch || !allowed.includes(name)) {
    throw new ModelRejected(
      "architecture",
      `${m.label}: architecture ${JSON.stringify(name)} is not allowed (allowed: ${allowed.join(", ")})`,
    );
  }
  const spec = rejectSync("config", m.label, () => arch.parseConfig(raw, name));
  const match = rejectSync("tensors", m.label, () => matchTensors(arch, spec, m.tensors));
  checkLimits(m.label, match.parameterCount, m.totalBytes, m.limits);
  return { arch, spec, match };
}

/** Parses config.json text: a JSON object or a `SyntaxError`. */
export function parseConfigJson(text: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`config.json is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new SyntaxError("config.json is not a JSON object");
  }
  return json as Record<string, unknown>;
}

function rejectSync<T>(code: "config" | "tensors", label: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new ModelRejected(code, `${label}: ${(e as Error).message}`, { cause: e });
  }
}

async function readConfig(dir: string): Promise<Record<string, unknown>> {
  const path = join(dir, "config.json");
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch {
    throw new TypeError("config.json is missing");
  }
  if (stat.size > MAX_CONFIG_BYTES) {
    throw new RangeError(`config.json is ${stat.size} bytes (limit ${MAX_CONFIG_BYTES})`);
  }
  return parseConfigJson(await Deno.readTextFile(path));
}

function checkLimits(label: string, params: number, bytes: number, limits: ModelLimits = {}): void {
  const { minParameters, maxParameters, maxBytes } = limits;
  if (minParameters !== undefined && params < minParameters) {
    throw new ModelRejected("limits", `${label}: ${params} parameters is below the minimum ${minParameters}`);
  }
  if (maxParameters !== undefined && params > maxParameters) {
    throw new ModelRejected("limits", `${label}: ${params} parameters exceeds the maximum ${maxParameters}`);
  }
  if (maxBytes !== undefined && bytes > maxBytes) {
    throw new ModelRejected("limits", `${label}: safetensors files total ${bytes} bytes, over the cap ${maxBytes}`);
  }
}
