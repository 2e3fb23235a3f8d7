/**
 * Everything a validator checks before downloading a model: the hashed file set is complete and
 * within the competition's byte cap, the revision holds what the competition takes (a full model,
 * or a PEFT adapter for its base: eval/adapters/check_adapter.ts), then the engine's own checks (eval/files/check_files.ts:
 * config.json, the index, every safetensors header, the exact tensor match, the limits) run on the
 * remote revision through ranged reads, never the weights. The rules and limits live in the engine
 * once; this file only adapts a store's revision to the engine's `ModelFiles`.
 */
import {
  type AdapterLimits,
  type Architecture,
  checkAdapterFiles,
  checkModelFiles,
  type ModelFiles,
  type ModelLimits,
  ModelRejected,
  type ModelSpec,
  readIndexText,
} from "../../eval/mod.ts";
import { isAdapterFileSet, modelFileSet } from "../metadata/mod.ts";
import type { ModelRevision, ModelStore } from "./model_store.ts";

/** Limits on a remote model (the competition's). */
export interface RemoteLimits extends ModelLimits {
  /** Cap on the hashed file set's total bytes. */
  maxBytes?: number;
}

/** In an adapter competition: the base every adapter must fit, and the competition's limits on adapters. */
export interface AdapterExpectation {
  base: { arch: Architecture; spec: ModelSpec; label: string };
  limits: AdapterLimits;
}

/** A remote model that passed every header check. */
export interface InspectedModel {
  revision: ModelRevision;
  /** The hashed file set, in path order. */
  files: string[];
  totalBytes: number;
  architecture: string;
  /** The model's parameters, or an adapter's own. */
  parameterCount: number;
  /** Whether it is an adapter (on the expected base). */
  adapter: boolean;
}

/** A store's revision as the engine's `ModelFiles` (sizes from the listing, bytes by range). */
export function remoteModelFiles(store: ModelStore, repo: string, revision: ModelRevision): ModelFiles {
  const sizes = new Map(revision.files.map((f) => [f.path, f.size]));
  return {
    label: `${repo}@${revision.commit.slice(0, 12)}`,
    size: (name) => sizes.get(name),
    read: (name, start, end) => store.readRange(repo, revision.commit, name, start, end),
  };
}

/** Checks `repo@commit` from listings and headers; throws `ModelRejected` naming the rule. */
export async function inspectRemoteModel(
  store: ModelStore,
  repo: string,
  commit: string,
  limits: RemoteLimits = {},
  /** Set in an adapter competition: the revision must hold an adapter for this base. */
  adapter?: AdapterExpectation,
): Promise<InspectedModel> {
  const revision = await store.revision(repo, commit);
  const remote = remoteModelFiles(store, repo, revision);
  const label = remote.label;

  // The hashed file set and its size first, so an oversized model costs no byte of its weights;
  // a broken rule gets the code the engine gives the same file locally.
  const indexText = await readIndexText(remote);
  let files: string[];
  try {
    files = modelFileSet(revision.files.map((f) => f.path), indexText);
  } catch (e) {
    const message = (e as Error).message;
    const code = /^config\.json is missing/.test(message)
      ? "config"
      : e instanceof SyntaxError
      ? "safetensors"
      : "files";
    throw new ModelRejected(code, `${label}: ${message}`, { cause: e });
  }
  // An adapter where a model is expected, or the other way round, is refused by kind.
  if (isAdapterFileSet(files) !== (adapter !== undefined)) {
    throw new ModelRejected(
      "files",
      adapter
        ? `${label}: this competition takes PEFT adapters on ${adapter.base.label}; the revision holds a full model (config.json)`
        : `${label}: this competition takes full models; the revision holds an adapter (adapter_config.json)`,
    );
  }
  const totalBytes = files.reduce((n, f) => n + remote.size(f)!, 0);
  if (limits.maxBytes !== undefined && totalBytes > limits.maxBytes) {
    throw new ModelRejected(
      "limits",
      `${label}: the model files total ${totalBytes} bytes, over the cap ${limits.maxBytes}; not downloaded`,
    );
  }
  // Then the engine's own checks over ranged reads.
  if (adapter) {
    const checked = await checkAdapterFiles(remote, adapter.base, { ...adapter.limits, maxBytes: undefined });
    return {
      revision,
      files,
      totalBytes,
      architecture: adapter.base.spec.architecture,
      parameterCount: checked.parameterCount,
      adapter: true,
    };
  }
  const checked = await checkModelFiles(remote, { ...limits, maxBytes: undefined }, { indexText });
  return {
    revision,
    files,
    totalBytes,
    architecture: checked.spec.architecture,
    parameterCount: checked.match.parameterCount,
    adapter: false,
  };
}
