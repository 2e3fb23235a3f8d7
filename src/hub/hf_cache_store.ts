/**
 * The Hugging Face cache as a read-only `ModelStore`: what `HF_HUB_OFFLINE=1` means for every HF
 * tool (huggingface_hub's `local_files_only`). Revisions resolve from `refs/{branch}` or a commit
 * sha to `snapshots/{commit}`; nothing goes to the network, and anything not in the cache is an
 * error that says so.
 */
import { basename, join } from "node:path";
import { HttpError } from "../http/mod.ts";
import { cacheFolderName, checkRelativePath, pickFiles, readFileRange } from "./model_store.ts";
import type * as store from "./model_store.ts";

/** A read-only store over the HF cache in `cacheDir`. */
export class HfCacheStore implements store.ModelStore {
  readonly name: string;
  constructor(readonly cacheDir: string) {
    this.name = `hf-cache:${cacheDir}`;
  }

  async revision(repo: string, revision: string): Promise<store.ModelRevision> {
    const folder = join(this.cacheDir, cacheFolderName(repo));
    let commit = revision;
    if (!/^[0-9a-f]{40}$/.test(revision)) {
      checkRelativePath(revision);
      try {
        commit = (await Deno.readTextFile(join(folder, "refs", revision))).trim();
      } catch {
        throw this.#missing(`${repo}@${revision}`);
      }
    }
    const files: store.RemoteFile[] = [];
    const walk = async (dir: string, prefix: string) => {
      for await (const e of Deno.readDir(dir)) {
        const path = join(dir, e.name), rel = prefix + e.name;
        const stat = await Deno.stat(path).catch(() => undefined); // a dangling link is no file
        if (stat?.isDirectory) await walk(path, rel + "/");
        else if (stat?.isFile) {
          const target = e.isSymlink ? basename(await Deno.readLink(path)) : undefined;
          files.push({ path: rel, size: stat.size, blobName: target });
        }
      }
    };
    try {
      await walk(join(folder, "snapshots", commit), "");
    } catch {
      throw this.#missing(`${repo}@${commit.slice(0, 12)}`);
    }
    return { repo, commit, private: false, files: files.sort((a, b) => (a.path < b.path ? -1 : 1)) };
  }

  async readRange({ repo, commit, path }: store.RepoFile, start: number, end: number): Promise<Uint8Array> {
    checkRelativePath(path);
    let f: Deno.FsFile;
    try {
      f = await Deno.open(join(this.cacheDir, cacheFolderName(repo), "snapshots", commit, path), { read: true });
    } catch {
      throw this.#missing(`${repo}@${commit.slice(0, 12)}/${path}`);
    }
    using file = f;
    return await readFileRange(file, start, end);
  }

  async download({ repo, commit, paths, cacheDir, onProgress }: store.DownloadRequest): Promise<store.DownloadResult> {
    if (cacheDir !== this.cacheDir) {
      throw new TypeError(
        `offline: models can only be read from the cache ${this.cacheDir}, not copied to ${cacheDir}`,
      );
    }
    const { files, totalBytes } = pickFiles(
      (await this.revision(repo, commit)).files,
      paths,
      (p) => this.#missing(`${repo}@${commit.slice(0, 12)}/${p}`),
    );
    let bytes = 0;
    for (const { path, size } of files) {
      bytes += size;
      onProgress?.({ path, fileBytes: size, fileSize: size, bytes, totalBytes, reused: true });
    }
    const dir = join(this.cacheDir, cacheFolderName(repo), "snapshots", commit);
    return { dir, createdSnapshot: false, createdBlobs: [], fetchedBytes: 0 };
  }

  upload(): Promise<string> {
    return Promise.reject(new TypeError("offline (HF_HUB_OFFLINE is set): nothing can be uploaded"));
  }

  setVisibility(): Promise<void> {
    return Promise.reject(new TypeError("offline (HF_HUB_OFFLINE is set): repo settings cannot change"));
  }

  #missing(what: string): HttpError {
    return new HttpError(404, `offline (HF_HUB_OFFLINE is set): ${what} is not in the cache ${this.cacheDir}`, {
      transient: false,
      code: "OfflineModeIsEnabled",
    });
  }
}
