/**
 * The embedded model store: a directory of repos with immutable, content-addressed commits.
 *
 *   {root}/blobs/{sha256}                       file contents, stored once
 *   {root}/repos/{ns}/{name}/commits/{sha}.json {parent, private, message, files: [{path, size, sha256}]}
 *   {root}/repos/{ns}/{name}/refs/main          the latest commit sha
 *
 * A commit sha is the first 40 hex digits of SHA-256 over the canonical JSON of its parent and
 * file list, so the same content on the same parent gives the same sha and no commit changes
 * after it is written. Downloads use the Hugging Face cache layout like the Hub store.
 */
import { createHash } from "node:crypto";
import { dirname, join, relative } from "node:path";
import { fileSha256Hex } from "../metadata/mod.ts";
import { cacheFolderName, checkRelativePath, pickFiles, readFileRange } from "./model_store.ts";
import type * as store from "./model_store.ts";

interface CommitRecord {
  parent: string | null;
  private: boolean;
  message: string;
  files: { path: string; size: number; sha256: string }[];
}

const SHA = /^[0-9a-f]{40}$/;

/** The local store under `root`. */
export class LocalModelStore implements store.ModelStore {
  readonly name: string;
  constructor(readonly root: string) {
    this.name = `local:${root}`;
  }

  async revision(repo: string, revision: string): Promise<store.ModelRevision> {
    const commit = await this.#resolve(repo, revision);
    const record = await this.#commit(repo, commit);
    const visibility = await this.#visibility(repo);
    return {
      repo,
      commit,
      private: visibility ?? record.private,
      files: record.files.map(({ path, size, sha256 }) => ({ path, size, sha256, blobName: sha256 })),
    };
  }

  async readRange({ repo, commit, path }: store.RepoFile, start: number, end: number): Promise<Uint8Array> {
    const file = (await this.#commit(repo, commit)).files.find((f) => f.path === path);
    if (!file) throw new Deno.errors.NotFound(`${repo}@${commit} has no ${path}`);
    using f = await Deno.open(this.#blob(file.sha256));
    return await readFileRange(f, start, Math.min(end, file.size));
  }

  async download({ repo, commit, paths, cacheDir, onProgress }: store.DownloadRequest): Promise<store.DownloadResult> {
    const { files: wanted, totalBytes } = pickFiles(
      (await this.#commit(repo, commit)).files,
      paths,
      (p) => new Deno.errors.NotFound(`${repo}@${commit} has no ${p}`),
    );
    const folder = join(cacheDir, cacheFolderName(repo));
    const snapshot = join(folder, "snapshots", commit);
    const createdSnapshot = !(await linkExists(snapshot));
    let bytes = 0, fetchedBytes = 0;
    const createdBlobs: string[] = [];
    for (const f of wanted) {
      const blob = join(folder, "blobs", f.sha256), pointer = join(snapshot, f.path);
      const reused = await exists(blob);
      if (!reused) {
        await Deno.mkdir(dirname(blob), { recursive: true });
        await Deno.copyFile(this.#blob(f.sha256), `${blob}.incomplete`);
        await Deno.rename(`${blob}.incomplete`, blob);
        createdBlobs.push(join(cacheFolderName(repo), "blobs", f.sha256));
        fetchedBytes += f.size;
      }
      if (!(await linkExists(pointer))) {
        await Deno.mkdir(dirname(pointer), { recursive: true });
        // Relative to the link's own directory, as the Hugging Face cache does, so the cache can move.
        await Deno.symlink(relative(dirname(pointer), blob), pointer);
      }
      bytes += f.size;
      onProgress?.({ path: f.path, fileBytes: f.size, fileSize: f.size, bytes, totalBytes, reused });
    }
    return { dir: snapshot, createdSnapshot, createdBlobs, fetchedBytes };
  }

  async upload(request: store.UploadRequest): Promise<string> {
    const { repo, dir, paths } = request;
    const files = [];
    for (const path of [...paths].sort()) {
      checkRelativePath(path);
      const sha256 = await fileSha256Hex(join(dir, path));
      const blob = this.#blob(sha256);
      if (!(await exists(blob))) {
        await Deno.mkdir(dirname(blob), { recursive: true });
        await Deno.copyFile(join(dir, path), `${blob}.incomplete`);
        await Deno.rename(`${blob}.incomplete`, blob);
      }
      files.push({ path, size: (await Deno.stat(join(dir, path))).size, sha256 });
    }
    const parent = await this.#resolve(repo, "main").catch(() => null);
    const record: CommitRecord = {
      parent,
      private: request.private ?? (await this.#visibility(repo)) ?? true,
      message: request.message ?? "upload",
      files,
    };
    const sha = createHash("sha256").update(JSON.stringify({ parent, files })).digest("hex").slice(0, 40);
    const repoDir = this.#repoDir(repo);
    await Deno.mkdir(join(repoDir, "commits"), { recursive: true });
    await Deno.mkdir(join(repoDir, "refs"), { recursive: true });
    await atomicWrite(join(repoDir, "commits", `${sha}.json`), JSON.stringify(record));
    await atomicWrite(join(repoDir, "refs", "main"), sha);
    if (request.private !== undefined || (await this.#visibility(repo)) === undefined) {
      await this.setVisibility(repo, record.private);
    }
    return sha;
  }

  async setVisibility(repo: string, isPrivate: boolean): Promise<void> {
    await Deno.mkdir(this.#repoDir(repo), { recursive: true });
    await atomicWrite(join(this.#repoDir(repo), "visibility"), isPrivate ? "private" : "public");
  }

  async #visibility(repo: string): Promise<boolean | undefined> {
    try {
      return (await Deno.readTextFile(join(this.#repoDir(repo), "visibility"))) === "private";
    } catch {
      return undefined;
    }
  }

  async #resolve(repo: string, revision: string): Promise<string> {
    if (SHA.test(revision)) return revision;
    try {
      return (await Deno.readTextFile(join(this.#repoDir(repo), "refs", revision))).trim();
    } catch {
      throw new Deno.errors.NotFound(`${repo} has no revision ${revision}`);
    }
  }

  async #commit(repo: string, commit: string): Promise<CommitRecord> {
    if (!SHA.test(commit)) throw new TypeError(`commit ${JSON.stringify(commit)} is not 40 hex digits`);
    try {
      return JSON.parse(await Deno.readTextFile(join(this.#repoDir(repo), "commits", `${commit}.json`)));
    } catch {
      throw new Deno.errors.NotFound(`${repo} has no commit ${commit}`);
    }
  }

  #repoDir(repo: string): string {
    const [ns, name, ...rest] = repo.split("/");
    if (!ns || !name || rest.length) throw new TypeError(`repo id ${JSON.stringify(repo)} is not namespace/name`);
    checkRelativePath(repo);
    return join(this.root, "repos", ns, name);
  }

  #blob(sha256: string): string {
    return join(this.root, "blobs", sha256);
  }
}

/** Whether `path` exists: followed through links by `Deno.stat`, the link itself by `Deno.lstat`. */
function exists(path: string, stat: (path: string) => Promise<Deno.FileInfo> = Deno.stat): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

function linkExists(path: string): Promise<boolean> {
  return exists(path, Deno.lstat);
}

async function atomicWrite(path: string, text: string): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}
