/**
 * Everything a validator checks before downloading a model: the hashed file set is complete, its
 * total size is within the competition's byte cap, config.json is sane and allowed, and every
 * safetensors header (read with range requests, never the weights) declares exactly the tensors
 * the config implies within the parameter limits.
 */
import {
  checkModelHeaders,
  type DeclaredTensor,
  MAX_CONFIG_BYTES,
  MAX_HEADER_BYTES,
  type ModelLimits,
  ModelRejected,
  parseConfigJson,
  parseSafetensorsHeader,
} from "../../eval/mod.ts";
import { modelFileSet } from "../metadata/mod.ts";
import type { ModelRevision, ModelStore } from "./model_store.ts";

/** Limits on a remote model (the competition's). */
export interface RemoteLimits extends ModelLimits {
  /** Cap on the hashed file set's total bytes. */
  maxBytes?: number;
}

/** A remote model that passed every header check. */
export interface InspectedModel {
  revision: ModelRevision;
  /** The hashed file set, in path order. */
  files: string[];
  totalBytes: number;
  architecture: string;
  parameterCount: number;
}

/** Largest index file read. */
const MAX_INDEX_BYTES = 10_000_000;

/** Checks `repo@commit` from listings and headers; throws `ModelRejected` naming the rule. */
export async function inspectRemoteModel(
  store: ModelStore,
  repo: string,
  commit: string,
  limits: RemoteLimits = {},
): Promise<InspectedModel> {
  const label = `${repo}@${commit.slice(0, 12)}`;
  const revision = await store.revision(repo, commit);
  const sizes = new Map(revision.files.map((f) => [f.path, f.size]));
  const read = async (path: string, start: number, end: number) =>
    await store.readRange(repo, revision.commit, path, start, end);

  let files: string[];
  try {
    const indexSize = sizes.get("model.safetensors.index.json");
    if (indexSize !== undefined && indexSize > MAX_INDEX_BYTES) {
      throw new RangeError(`model.safetensors.index.json is ${indexSize} bytes`);
    }
    const index = indexSize !== undefined
      ? new TextDecoder().decode(await read("model.safetensors.index.json", 0, indexSize))
      : undefined;
    files = modelFileSet(sizes.keys(), index);
  } catch (e) {
    throw new ModelRejected("config", `${label}: ${(e as Error).message}`, { cause: e });
  }
  const totalBytes = files.reduce((n, f) => n + sizes.get(f)!, 0);
  if (limits.maxBytes !== undefined && totalBytes > limits.maxBytes) {
    throw new ModelRejected(
      "limits",
      `${label}: the model files total ${totalBytes} bytes, over the cap ${limits.maxBytes}; not downloaded`,
    );
  }

  const configSize = sizes.get("config.json")!;
  if (configSize > MAX_CONFIG_BYTES) {
    throw new ModelRejected("config", `${label}: config.json is ${configSize} bytes (limit ${MAX_CONFIG_BYTES})`);
  }
  let config: Record<string, unknown>;
  try {
    config = parseConfigJson(new TextDecoder().decode(await read("config.json", 0, configSize)));
  } catch (e) {
    throw new ModelRejected("config", `${label}: ${(e as Error).message}`, { cause: e });
  }

  const tensors: DeclaredTensor[] = [];
  let weightBytes = 0;
  for (const file of files.filter((f) => f.endsWith(".safetensors"))) {
    const size = sizes.get(file)!;
    weightBytes += size;
    try {
      const head = await read(file, 0, Math.min(8, size));
      let prefix = head;
      if (head.length === 8) {
        const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
        if (n <= BigInt(MAX_HEADER_BYTES) && 8n + n <= BigInt(size)) prefix = await read(file, 0, 8 + Number(n));
      }
      for (const t of parseSafetensorsHeader(prefix, size, file).tensors.values()) tensors.push(t);
    } catch (e) {
      throw new ModelRejected("safetensors", `${label}: ${(e as Error).message}`, { cause: e });
    }
  }
  const { spec, match } = checkModelHeaders({
    label,
    config,
    tensors,
    totalBytes: weightBytes,
    limits: { ...limits, maxBytes: undefined },
  });
  return { revision, files, totalBytes, architecture: spec.architecture, parameterCount: match.parameterCount };
}
