/**
 * Where miners publish models and validators fetch them: one interface for the Hugging Face Hub
 * and for the embedded local store. Revisions are immutable 40-hex commit shas; downloads land in
 * the standard Hugging Face cache layout (`models--{ns}--{name}/blobs/{oid}` plus
 * `snapshots/{commit}/{path}` links), so other tools reuse them.
 */

/** One file of a revision. */
export interface RemoteFile {
  path: string;
  size: number;
}

/** A repo at one commit. */
export interface ModelRevision {
  repo: string;
  commit: string;
  private: boolean;
  files: RemoteFile[];
}

/** Progress of a download: bytes of the file set done so far. */
export type DownloadProgress = (done: number, total: number, path: string) => void;

/** The store operations the product uses. */
export interface ModelStore {
  readonly name: string;
  /** The files at a revision (a commit sha or a branch such as "main"). */
  revision(repo: string, revision: string): Promise<ModelRevision>;
  /** Bytes [start, end) of one file at a commit (HTTP range requests on the Hub). */
  readRange(repo: string, commit: string, path: string, start: number, end: number): Promise<Uint8Array>;
  /**
   * Downloads exactly `paths` at `commit` into `cacheDir` and returns the snapshot directory.
   * Files already complete are not fetched again.
   */
  download(
    repo: string,
    commit: string,
    paths: string[],
    cacheDir: string,
    onProgress?: DownloadProgress,
  ): Promise<string>;
  /** Commits the given files of `dir` (creating the repo, private by default); returns the commit sha. */
  upload(
    repo: string,
    dir: string,
    paths: string[],
    options?: { private?: boolean; message?: string },
  ): Promise<string>;
  setVisibility(repo: string, isPrivate: boolean): Promise<void>;
}

/** `models--{ns}--{name}`: the Hugging Face cache folder of a model repo. */
export function cacheFolderName(repo: string): string {
  return `models--${repo.replaceAll("/", "--")}`;
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
