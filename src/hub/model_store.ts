/**
 * Where miners publish models and validators fetch them: one interface for the Hugging Face Hub
 * and for the embedded local store. Revisions are immutable 40-hex commit shas; downloads land in
 * the standard Hugging Face cache layout (`models--{ns}--{name}/blobs/{oid}` plus
 * `snapshots/{commit}/{path}` links), so other tools reuse them.
 */
import { dirname, join } from "node:path";

/** One file of a revision. */
export interface RemoteFile {
  path: string;
  size: number;
  /** The content's SHA-256 (hex) when the store knows it (LFS files on the Hub, every local file). */
  sha256?: string;
  /** The blob name in the cache layout: the LFS sha256, else the git blob id. */
  blobName?: string;
}

/** A repo at one commit. */
export interface ModelRevision {
  repo: string;
  commit: string;
  private: boolean;
  files: RemoteFile[];
}

/** Where a download stands: the file being moved and the whole file set. */
export interface DownloadProgress {
  path: string;
  fileBytes: number;
  fileSize: number;
  /** Bytes of the file set on disk (reused ones included). */
  bytes: number;
  totalBytes: number;
  /** The file was already in the cache: nothing moved for it. */
  reused?: boolean;
}

/** Receives progress often (every chunk); callers throttle what they show. */
export type OnDownloadProgress = (p: DownloadProgress) => void;

/** One file of a repo at a commit. */
export interface RepoFile {
  repo: string;
  commit: string;
  path: string;
}

/** What to download: exactly `paths` of `repo` at `commit`, into the HF cache at `cacheDir`. */
export interface DownloadRequest {
  repo: string;
  commit: string;
  paths: string[];
  cacheDir: string;
  onProgress?: OnDownloadProgress;
}

/** What to upload: `paths` (relative to `dir`) as one commit to `repo`. */
export interface UploadRequest {
  repo: string;
  dir: string;
  paths: string[];
  /** A new repo is private unless this is false. */
  private?: boolean;
  message?: string;
}

/** What a download left in the cache, so the caller can tell its own entries from other tools'. */
export interface DownloadResult {
  /** The snapshot directory (`…/snapshots/{commit}`). */
  dir: string;
  /** The snapshot directory did not exist before: this download made it. */
  createdSnapshot: boolean;
  /** Blob files this download created, relative to the cache directory. */
  createdBlobs: string[];
  /** Bytes that crossed the network (0 when everything was already cached). */
  fetchedBytes: number;
}

/** The store operations the product uses. */
export interface ModelStore {
  readonly name: string;
  /** The files at a revision (a commit sha or a branch such as "main"). */
  revision(repo: string, revision: string): Promise<ModelRevision>;
  /** Bytes [start, end) of one file at a commit (HTTP range requests on the Hub). */
  readRange(file: RepoFile, start: number, end: number): Promise<Uint8Array>;
  /**
   * Downloads exactly `paths` at `commit` into `cacheDir` (the Hugging Face cache layout). Files
   * already there, from this program or another HF tool, are not fetched again.
   */
  download(request: DownloadRequest): Promise<DownloadResult>;
  /** Commits the given files of `dir` (creating the repo, private by default); returns the commit sha. */
  upload(request: UploadRequest): Promise<string>;
  setVisibility(repo: string, isPrivate: boolean): Promise<void>;
}

/** `models--{ns}--{name}`: the Hugging Face cache folder of a model repo. */
export function cacheFolderName(repo: string): string {
  return `models--${repo.replaceAll("/", "--")}`;
}

/**
 * The listed files a download asks for, in the order asked, and their total size. Every path is
 * checked to be plain and relative first; one the revision does not list is `missing(path)`.
 */
export function pickFiles<F extends { path: string; size: number }>(
  listed: F[],
  paths: string[],
  missing: (path: string) => Error,
): { files: F[]; totalBytes: number } {
  paths.forEach(checkRelativePath);
  const byPath = new Map(listed.map((f) => [f.path, f]));
  const files = paths.map((p) => {
    const f = byPath.get(p);
    if (!f) throw missing(p);
    return f;
  });
  return { files, totalBytes: files.reduce((n, f) => n + f.size, 0) };
}

/**
 * Records in the HF cache that `revision` (a branch or tag) named `commit`: `refs/{revision}`,
 * as huggingface_hub's `snapshot_download` writes it, so an offline lookup by that name resolves.
 */
export async function writeCacheRef(o: { cacheDir: string; repo: string; revision: string; commit: string }) {
  checkRelativePath(o.revision);
  const refs = join(o.cacheDir, cacheFolderName(o.repo), "refs");
  await Deno.mkdir(join(refs, dirname(o.revision)), { recursive: true });
  await Deno.writeTextFile(join(refs, o.revision), o.commit);
}

/** Refuses paths that could escape a directory or are not plain relative paths. */
export function checkRelativePath(path: string): void {
  if (
    !path || path.startsWith("/") || path.includes("\\") ||
    path.split("/").some((p) => p === ".." || p === "." || p === "")
  ) {
    throw new TypeError(`file name ${JSON.stringify(path)} is not a plain relative path`);
  }
}

/** Bytes [start, end) of a local file, fewer when the file ends first (as an HTTP range would). */
export async function readFileRange(file: Deno.FsFile, start: number, end: number): Promise<Uint8Array> {
  await file.seek(start, Deno.SeekMode.Start);
  const out = new Uint8Array(Math.max(0, end - start));
  let at = 0;
  while (at < out.length) {
    const n = await file.read(out.subarray(at));
    if (n === null) break;
    at += n;
  }
  return out.subarray(0, at);
}
