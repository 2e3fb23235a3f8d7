/**
 * The global checkpoints a validator offers: each window's next checkpoint committed to a model
 * repo of its own with its manifest (`publishCheckpoint`), and read back by miners and queue
 * workers (`pullCheckpoint`), which check that the files hash to what the manifest says and take
 * nothing else from it on trust. Templar's validators put theirs in their own buckets and miners
 * follow the highest-staked one; here a validator names its namespace and each pseudo-gradient
 * competition gets `namespace/{competition name}-global`.
 */
import { join } from "node:path";
import { formatReason, type ModelLimits, ModelRejected, parseStrictJson } from "../../eval/mod.ts";
import { downloadMeter, fetchModel, type ModelStore } from "../hub/mod.ts";
import { isBase64Sha256, isRepoId, localModelFileSet } from "../metadata/mod.ts";
import { type CheckpointManifest, MANIFEST_FILE } from "./next_checkpoint.ts";

/** The most bytes a manifest may have (its peers' clip factors for every parameter). */
const MAX_MANIFEST_BYTES = 16 << 20;

/** Where a validator publishing under `namespace` puts a competition's checkpoints; throws `RangeError` when it is no repo id. */
export function checkpointRepo(namespace: string, competitionName: string): string {
  const repo = `${namespace}/${competitionName}-global`;
  if (!isRepoId(repo)) {
    throw new RangeError(`${JSON.stringify(repo.slice(0, 80))} is not a model repo id; name another namespace`);
  }
  return repo;
}

/** Commits the checkpoint in `dir` (its model files and manifest) to `repo`, public; returns the commit. */
export async function publishCheckpoint(
  store: ModelStore,
  { repo, dir, manifest }: { repo: string; dir: string; manifest: CheckpointManifest },
): Promise<string> {
  return await store.upload({
    repo,
    dir,
    paths: [...await localModelFileSet(dir), MANIFEST_FILE],
    private: false,
    message: formatReason(
      `window ${manifest.window ?? "—"}: global checkpoint ${manifest.result}, from ${manifest.peers.length} ` +
        `submission${manifest.peers.length === 1 ? "" : "s"} on ${manifest.parent}`,
    ),
  });
}

/** A checkpoint read back from its repo: its files, their model hash, and its manifest. */
export interface PulledCheckpoint {
  repo: string;
  commit: string;
  dir: string;
  hash: string;
  manifest: CheckpointManifest;
}

/**
 * Reads `repo@revision` (default its latest): the manifest first, strictly, then the model files
 * with the checks any model gets, which must hash to the manifest's `result`. Throws
 * `ModelRejected` naming the rule.
 */
export async function pullCheckpoint(
  store: ModelStore,
  { repo, revision = "main", cacheDir, limits, log }: {
    repo: string;
    revision?: string;
    cacheDir: string;
    limits?: ModelLimits;
    log?: (line: string) => void;
  },
): Promise<PulledCheckpoint> {
  const { commit, files } = await store.revision(repo, revision);
  const label = `${repo}@${commit.slice(0, 12)}`;
  const listed = files.find((f) => f.path === MANIFEST_FILE);
  if (!listed) throw new ModelRejected("files", `${label} has no ${MANIFEST_FILE}: it is not a published checkpoint`);
  if (listed.size > MAX_MANIFEST_BYTES) {
    throw new ModelRejected("files", `${label}: ${MANIFEST_FILE} is ${listed.size} bytes, over ${MAX_MANIFEST_BYTES}`);
  }
  const got = await store.download({ repo, commit, paths: [MANIFEST_FILE], cacheDir });
  const manifest = parseManifest(await Deno.readTextFile(join(got.dir, MANIFEST_FILE)), label);
  const fetched = await fetchModel(store, repo, commit, {
    cacheDir,
    limits,
    expect: { hash: manifest.result },
    onProgress: log && downloadMeter({ emit: log, prefix: `    ${repo}: `, intervalMs: 10_000 }),
  });
  return { repo, commit, dir: fetched.dir, hash: fetched.hash, manifest };
}

/** A manifest as published, checked field by field. Throws `ModelRejected`. */
function parseManifest(text: string, label: string): CheckpointManifest {
  const fail = (why: string): never => {
    throw new ModelRejected("config", formatReason(`${label}: ${MANIFEST_FILE} ${why}`));
  };
  let m: Partial<CheckpointManifest>;
  try {
    m = parseStrictJson(text, MANIFEST_FILE, 8) as Partial<CheckpointManifest>;
  } catch (e) {
    throw new ModelRejected("config", formatReason(`${label}: ${(e as Error).message}`));
  }
  if (typeof m !== "object" || m === null || Array.isArray(m)) fail("is not an object");
  if (m.format !== "pseudograd-checkpoint-v1") fail(`has format ${JSON.stringify(m.format)?.slice(0, 40)}`);
  if (!(m.window === null || (Number.isSafeInteger(m.window) && m.window! >= 0))) fail("has no window number");
  if (!isBase64Sha256(m.parent)) fail("has no parent model hash");
  if (!isBase64Sha256(m.result)) fail("has no result model hash");
  if (!Array.isArray(m.peers)) fail("has no peer list");
  return m as CheckpointManifest;
}
