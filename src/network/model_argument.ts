/**
 * What `--model` names for the commands a miner runs by hand (`eval`, `miner:eval`): a local
 * directory, or a Hub repo id `namespace/name[@revision]` as huggingface-cli and
 * `from_pretrained` take it. A repo goes the validator's way: its revision resolved to a commit,
 * its file set and headers checked before any download, the hashed files downloaded into the
 * Hugging Face cache (HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_TOKEN), or, with HF_HUB_OFFLINE, read
 * from that cache alone.
 */
import { downloadMeter, type EnvLookup, fetchModel, hfOffline, writeCacheRef } from "../hub/mod.ts";
import { parseRepoSpec } from "../metadata/mod.ts";
import { openModelStore } from "./open_network.ts";

/** A `--model` value that names no model: the command line is wrong, not the model. */
export class ModelArgumentRefused extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = "ModelArgumentRefused";
  }
}

/** A model to evaluate: its directory and how to name it. */
export interface ModelArgument {
  dir: string;
  label: string;
  /** Set for a Hub repo: the commit its revision resolved to. */
  commit?: string;
}

/** Options for `modelArgument`. */
export interface ModelArgumentOptions {
  env?: EnvLookup;
  /** Receives the download's progress lines. */
  log?: (line: string) => void;
}

/**
 * The directory `spec` names: itself when it is a directory, else the snapshot of the Hub repo
 * it names. Throws `ModelArgumentRefused` when it is neither.
 */
export async function modelArgument(spec: string, o: ModelArgumentOptions = {}): Promise<ModelArgument> {
  const stat = await Deno.stat(spec).catch(() => undefined);
  if (stat?.isDirectory) return { dir: spec, label: spec };
  const m = parseRepoSpec(spec);
  const quoted = JSON.stringify(spec.slice(0, 80));
  if (stat) throw new ModelArgumentRefused(`${quoted} is a file, not a model directory`);
  if (!m) {
    throw new ModelArgumentRefused(`${quoted} is neither a directory nor a Hub repo id (namespace/name[@revision])`);
  }
  const { repo, revision = "main" } = m;
  const env = o.env ?? ((name: string) => Deno.env.get(name));
  // The "hf" kind keeps models in the HF cache, so it needs no cache folder of its own.
  const { store, modelCacheDir } = await openModelStore({ kind: "hf", cacheDir: "", offline: hfOffline(env), env });
  // The inspection lists the revision (a branch resolves to its commit there) and the download is of that commit.
  const fetched = await fetchModel(store, repo, revision, {
    cacheDir: modelCacheDir,
    onProgress: o.log ? downloadMeter({ emit: o.log, prefix: `${repo}: `, intervalMs: 2_000 }) : undefined,
  });
  const { commit } = fetched.revision;
  if (revision !== commit) await writeCacheRef({ cacheDir: modelCacheDir, repo, revision, commit });
  return { dir: fetched.dir, label: `${repo}@${commit.slice(0, 12)}`, commit };
}
