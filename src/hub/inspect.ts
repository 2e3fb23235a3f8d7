/**
 * Everything a validator checks before downloading a model, in this order: the hashed file set
 * is complete (src/metadata/model_hash.ts: `modelFileSet`), the revision holds the kind the
 * competition takes (a full model, or a PEFT adapter for its base; this file's one rule of its
 * own), the file set's listed bytes are within the cap (eval/files/byte_cap.ts: `checkByteCap`),
 * so an oversized model costs no byte of its weights; then the engine's own checks run on the remote
 * revision through ranged reads, never the weights (eval/files/check_files.ts: config.json, the
 * index, every safetensors header, the exact tensor match, the limits; or
 * eval/adapters/check_adapter.ts). Every other rule lives in those homes; this file adapts a
 * store's revision to the engine's `ModelFiles` and gives a broken file-set rule the code the
 * engine gives the same files locally.
 */
import {
  type AdapterLimits,
  type Architecture,
  checkAdapterFiles,
  checkByteCap,
  checkModelFiles,
  type ModelFiles,
  type ModelLimits,
  ModelRejected,
  type ModelSpec,
  readIndexText,
} from "../../eval/mod.ts";
import { FileSetError, isAdapterFileSet, modelFileSet } from "../metadata/mod.ts";
import type { ModelRevision, ModelStore } from "./model_store.ts";

/**
 * Limits on a remote model (the competition's): the engine's, whose `maxBytes` caps the hashed
 * file set as listed, the total the engine counts too.
 */
export type RemoteLimits = ModelLimits;

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
    read: (name, start, end) => store.readRange({ repo, commit: revision.commit, path: name }, start, end),
  };
}

/** What an inspection holds a remote model to. */
export interface InspectOptions {
  limits?: RemoteLimits;
  /** Set in an adapter competition: the revision must hold an adapter for this base. */
  adapter?: AdapterExpectation;
}

/** Checks `repo@commit` from listings and headers; throws `ModelRejected` naming the rule. */
export async function inspectRemoteModel(
  store: ModelStore,
  repo: string,
  commit: string,
  o: InspectOptions = {},
): Promise<InspectedModel> {
  const { limits = {}, adapter } = o;
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
    const code = e instanceof FileSetError ? e.code : "files";
    throw new ModelRejected(code, `${label}: ${(e as Error).message}`, { cause: e });
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
  checkByteCap(label, totalBytes, limits.maxBytes, { beforeDownload: true });
  // Then the engine's own checks over ranged reads. Their byte cap counts the same file set, so
  // under the same cap it passes whatever passed above; it stays on, as the local check does.
  if (adapter) {
    const checked = await checkAdapterFiles(remote, adapter.base, adapter.limits);
    return {
      revision,
      files,
      totalBytes,
      architecture: adapter.base.spec.architecture,
      parameterCount: checked.parameterCount,
      adapter: true,
    };
  }
  const checked = await checkModelFiles(remote, limits, { indexText });
  return {
    revision,
    files,
    totalBytes,
    architecture: checked.spec.architecture,
    parameterCount: checked.match.parameterCount,
    adapter: false,
  };
}
