/**
 * Fetching a committed model for evaluation: header checks first (inspect.ts), then a download
 * of exactly the hashed file set at the committed revision, then the hotkey-bound hash of what
 * arrived compared with the commitment, so a validator evaluates the files the miner committed.
 */
import { hashModelDir, secureHash } from "../metadata/mod.ts";
import { ModelRejected } from "../../eval/mod.ts";
import { type AdapterExpectation, type InspectedModel, inspectRemoteModel, type RemoteLimits } from "./inspect.ts";
import type { DownloadResult, ModelStore, OnDownloadProgress } from "./model_store.ts";

/** A downloaded, verified model. */
export interface FetchedModel extends InspectedModel {
  dir: string;
  hash: string;
  /** What the download left in the cache (for the validator's record of its own entries). */
  download: DownloadResult;
}

/** Options for `fetchModel`. */
export interface FetchOptions {
  cacheDir: string;
  limits?: RemoteLimits;
  /**
   * When given, the downloaded files must hash to this secure hash for `hotkey` (a miner's
   * commitment), or to this plain model hash (a base pinned in the schedule).
   */
  expect?: { secureHash: string; hotkey: string } | { hash: string };
  /** In an adapter competition: the revision must hold an adapter for this base. */
  adapter?: AdapterExpectation;
  onProgress?: OnDownloadProgress;
}

/** Checks, downloads and verifies `repo@commit`; throws `ModelRejected` on any broken rule. */
export async function fetchModel(
  store: ModelStore,
  repo: string,
  commit: string,
  o: FetchOptions,
): Promise<FetchedModel> {
  const inspected = await inspectRemoteModel(store, repo, commit, o.limits, o.adapter);
  const download = await store.download(repo, inspected.revision.commit, inspected.files, o.cacheDir, o.onProgress);
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
