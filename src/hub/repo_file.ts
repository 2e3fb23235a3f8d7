/**
 * One small file of a committed revision, read whole: listed first, so a file that is missing or
 * over its cap costs no download, then fetched at the commit into the Hugging Face-layout cache.
 * A pseudo-gradient submission is read this way by the validator and by a queue worker.
 */
import { join } from "node:path";
import type { ModelStore } from "./model_store.ts";

/** The file is not there, or is over its cap: the reason, as one line. */
export class RepoFileUnavailable extends Error {
  override name = "RepoFileUnavailable";
}

/** The bytes of `path` at `repo@commit`. Throws `RepoFileUnavailable`, or the store's error. */
export async function readRepoFile(
  store: ModelStore,
  { repo, commit, path, maxBytes, cacheDir }: {
    repo: string;
    commit: string;
    path: string;
    maxBytes: number;
    cacheDir: string;
  },
): Promise<Uint8Array> {
  const revision = await store.revision(repo, commit);
  const listed = revision.files.find((f) => f.path === path);
  if (!listed) throw new RepoFileUnavailable(`${repo}@${commit.slice(0, 8)} has no ${path}`);
  if (listed.size > maxBytes) {
    throw new RepoFileUnavailable(`${path} is ${listed.size} bytes, over the cap of ${maxBytes}`);
  }
  const got = await store.download({ repo, commit: revision.commit, paths: [path], cacheDir });
  return await Deno.readFile(join(got.dir, path));
}
