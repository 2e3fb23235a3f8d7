/**
 * Fetching a committed model for evaluation: header checks first (inspect.ts), then a download
 * of exactly the hashed file set at the committed revision, then the hotkey-bound hash of what
 * arrived compared with the commitment, so a validator evaluates the files the miner committed.
 */
import { hashModelDir, secureHash } from "../metadata/mod.ts";
import { ModelRejected } from "../../eval/mod.ts";
import { type InspectedModel, type InspectOptions, inspectRemoteModel } from "./inspect.ts";
import type { DownloadResult, ModelStore, OnDownloadProgress } from "./model_store.ts";

/** A downloaded, verified model. */
export interface FetchedModel extends InspectedModel {
  dir: string;
  hash: string;
  /** What the download left in the cache (for the validator's record of its own entries). */
  download: DownloadResult;
}

/** Options for `fetchModel`: the inspection's limits and adapter base, and where and what to download. */
export interface FetchOptions extends InspectOptions {
  cacheDir: string;
  /**
   * When given, the downloaded files must hash to this secure hash for `hotkey` (a miner's
   * commitment), or to this plain model hash (a base pinned in the schedule).
   */
  expect?: { secureHash: string; hotkey: string } | { hash: string };
  onProgress?: OnDownloadProgress;
}

/** Checks, downloads and verifies `repo@commit`; throws `ModelRejected` on any broken rule. */
export async function fetchModel(
  store: ModelStore,
  repo: string,
  commit: string,
  o: FetchOptions,
): Promise<FetchedModel> {
  const inspected = await inspectRemoteModel(store, repo, commit, o);
  const download = await store.download({
    repo,
    commit: inspected.revision.commit,
    paths: inspected.files,
    cacheDir: o.cacheDir,
    onProgress: o.onProgress,
  });
  const dir = download.dir;
  const { hash } = await hashModelDir(dir);
  if (o.expect && "hash" in o.expect && hash !== o.expect.hash) {
    throw new ModelRejected(
      "config",
      `${repo}@${commit.slice(0, 12)}: the downloaded files hash to ${hash}, not the pinned ${o.expect.hash}`,
    );
  }
  if (o.expect && "secureHash" in o.expect && secureHash(hash, o.expect.hotkey) !== o.expect.secureHash) {
    throw new ModelRejected(
      "config",
      `${repo}@${commit.slice(0, 12)}: the downloaded files do not match the committed hash for ${o.expect.hotkey}`,
    );
  }
  return { ...inspected, dir, hash, download };
}
