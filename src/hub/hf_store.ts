/**
 * The Hugging Face Hub as a `ModelStore`, through @huggingface/hub for its API (model info,
 * listings, range reads, repo creation, the commit flow) and hf_download.ts for the bytes of
 * model files. Every request goes through one fetch that:
 * - times out only on stalls (stall_fetch.ts), never on a long transfer;
 * - turns 429 and 5xx into errors that carry the wait the Hub asked for (`RateLimit` or
 *   `Retry-After`), which the library's own errors would drop;
 * and every call is retried on transient failures, honouring those waits up to a cap.
 * Refusals reach callers as `HttpError`s with the status and, where the Hub sent one, its
 * `X-Error-Code` (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo).
 */
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { createRepo, downloadFile, HubApiError, listFiles, modelInfo, uploadFiles } from "@huggingface/hub";
import {
  HttpError,
  isTimeout,
  networkError,
  rejectingTransientFetch,
  type RetryOptions,
  stallGuardedFetch,
  withRetry,
} from "../http/mod.ts";
import { downloadHubFile } from "./hf_download.ts";
import { hfEndpoint } from "./hf_env.ts";
import { cacheFolderName, checkRelativePath, pickFiles } from "./model_store.ts";
import type * as store from "./model_store.ts";

/**
 * The Hub's `X-Error-Code`s that callers act on (huggingface_hub `hf_raise_for_status`).
 * `EntryNotFound` is left to @huggingface/hub, which turns it into "no such file".
 */
export const HUB_ERROR_CODES: ReadonlySet<string> = new Set(["RepoNotFound", "RevisionNotFound", "GatedRepo"]);

/** Options for the Hub store. */
export interface HfStoreOptions {
  /** Default: `HF_ENDPOINT`, else https://huggingface.co. */
  hubUrl?: string;
  accessToken?: string;
  retry?: RetryOptions;
  /** Files downloaded at once (default 2). */
  maxConcurrentDownloads?: number;
  /** A request fails when no bytes arrive for this long (default 60 s). */
  stallMs?: number;
  fetch?: typeof fetch;
}

/** The Hugging Face Hub store. */
export class HfModelStore implements store.ModelStore {
  readonly name: string;
  readonly hubUrl: string;
  /** Stall-guarded: for transfers this module reads itself. */
  readonly #fetch: typeof fetch;
  /** Stall-guarded and rejecting 429/5xx with the asked wait: for @huggingface/hub. */
  readonly #hub: { hubUrl: string; accessToken?: string; fetch: typeof fetch };

  constructor(readonly options: HfStoreOptions = {}) {
    this.hubUrl = (options.hubUrl ?? hfEndpoint()).replace(/\/+$/, "");
    this.name = `hf:${this.hubUrl}`;
    this.#fetch = stallGuardedFetch(options.fetch ?? fetch, options.stallMs ?? 60_000);
    this.#hub = {
      hubUrl: this.hubUrl,
      accessToken: options.accessToken,
      fetch: rejectingTransientFetch(this.#fetch, "the Hub", HUB_ERROR_CODES),
    };
  }

  async revision(repo: string, revision: string): Promise<store.ModelRevision> {
    const info = await this.#retry(
      `model info ${repo}@${revision}`,
      () => modelInfo({ ...this.#hub, name: repo, revision, additionalFields: ["sha"] }),
    ) as {
      private: boolean;
      sha?: string;
    };
    const commit = /^[0-9a-f]{40}$/.test(revision) ? revision : info.sha;
    if (!commit) throw new TypeError(`${repo}@${revision}: the Hub did not say which commit this is`);
    const files = await this.#retry(`file list ${repo}@${commit.slice(0, 12)}`, async () => {
      const out = [];
      for await (const f of listFiles({ ...this.#hub, repo, revision: commit, recursive: true })) {
        if (f.type !== "file") continue;
        out.push({ path: f.path, size: f.size, sha256: f.lfs?.oid, blobName: f.lfs?.oid ?? f.oid });
      }
      return out;
    });
    return { repo, commit, private: info.private, files };
  }

  async readRange({ repo, commit, path }: store.RepoFile, start: number, end: number): Promise<Uint8Array> {
    checkRelativePath(path);
    return await this.#retry(`read ${repo}@${commit.slice(0, 12)}/${path}`, async () => {
      const blob = await downloadFile({ ...this.#hub, repo, path, revision: commit });
      if (!blob) {
        throw new HttpError(404, `${repo}@${commit} has no ${path}`, { transient: false, code: "EntryNotFound" });
      }
      return new Uint8Array(await blob.slice(start, end).arrayBuffer());
    });
  }

  async download({ repo, commit, paths, cacheDir, onProgress }: store.DownloadRequest): Promise<store.DownloadResult> {
    const { files, totalBytes } = pickFiles(
      (await this.revision(repo, commit)).files,
      paths,
      (p) => new HttpError(404, `${repo}@${commit} has no ${p}`, { transient: false, code: "EntryNotFound" }),
    );
    const dir = join(cacheDir, cacheFolderName(repo), "snapshots", commit);
    const createdSnapshot = !(await exists(dir));
    let bytes = 0, fetchedBytes = 0;
    const createdBlobs: string[] = [];
    const queue = [...files];
    const worker = async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        const file = f;
        let fileBytes = 0;
        const result = await downloadHubFile({
          hubUrl: this.hubUrl,
          repo,
          commit,
          path: file.path,
          size: file.size,
          etag: file.blobName ?? file.sha256 ?? "",
          sha256: file.sha256,
          cacheDir,
          token: this.options.accessToken,
          fetch: this.#fetch,
          retry: this.options.retry,
          onBytes: (delta) => {
            fileBytes += delta;
            bytes += delta;
            onProgress?.({ path: file.path, fileBytes, fileSize: file.size, bytes, totalBytes });
          },
        });
        if (result.fetchedBytes === 0 && fileBytes === 0) {
          bytes += file.size;
          onProgress?.({ path: file.path, fileBytes: file.size, fileSize: file.size, bytes, totalBytes, reused: true });
        }
        fetchedBytes += result.fetchedBytes;
        if (result.createdBlob) createdBlobs.push(join(cacheFolderName(repo), "blobs", file.blobName ?? ""));
      }
    };
    const workers = Math.max(1, Math.min(this.options.maxConcurrentDownloads ?? 2, files.length));
    await Promise.all(Array.from({ length: workers }, worker));
    return { dir, createdSnapshot, createdBlobs, fetchedBytes };
  }

  async upload(request: store.UploadRequest): Promise<string> {
    const { repo, dir, paths } = request;
    paths.forEach(checkRelativePath);
    const accessToken = this.#writeToken();
    try {
      await this.#retry(
        `create ${repo}`,
        () => createRepo({ ...this.#hub, accessToken, repo, private: request.private ?? true }),
      );
    } catch (e) {
      if (!(e instanceof HttpError && e.status === 409)) throw e; // it exists already
      if (request.private !== undefined) await this.setVisibility(repo, request.private);
    }
    const files = paths.map((path) => ({ path, content: pathToFileURL(join(dir, path)) }));
    const result = await this.#retry(
      `upload to ${repo}`,
      () =>
        uploadFiles({
          ...this.#hub,
          accessToken,
          repo,
          files,
          commitTitle: request.message ?? "upload",
          useXet: false,
        }),
    );
    if (!result?.commit?.oid) throw new TypeError(`${repo}: the Hub did not return a commit`);
    return result.commit.oid;
  }

  async setVisibility(repo: string, isPrivate: boolean): Promise<void> {
    // @huggingface/hub has no settings call; this is the Hub's own endpoint for it.
    const url = `${this.hubUrl}/api/models/${repo}/settings`;
    const accessToken = this.#writeToken();
    await this.#retry(`settings of ${repo}`, async () => {
      const res = await this.#hub.fetch(url, {
        method: "PUT",
        headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
        body: JSON.stringify({ private: isPrivate }),
      });
      const text = await res.text();
      if (!res.ok) throw new HubApiError(url, res.status, undefined, `PUT ${url} returned ${res.status}: ${text}`);
    });
  }

  #writeToken(): string {
    if (!this.options.accessToken) {
      throw new TypeError("writing to the Hub needs a token: set HF_TOKEN or run `huggingface-cli login`");
    }
    return this.options.accessToken;
  }

  /**
   * Retries transient failures of a library call. The library's own errors are normalised to
   * `HttpError`: 4xx are final, and a cut-off or stalled reply is transient.
   */
  #retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(async () => {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof HttpError) throw e;
        if (e instanceof HubApiError) {
          throw new HttpError(e.statusCode, `${what}: the Hub answered ${e.statusCode}: ${e.message.slice(0, 300)}`, {
            transient: e.statusCode === 429 || e.statusCode >= 500,
            cause: e,
          });
        }
        // Cut-off JSON, a dropped connection or a stall: another attempt may succeed.
        if (
          e instanceof SyntaxError || isTimeout(e) ||
          (e instanceof TypeError && /fetch|network|connection|body|stream/i.test(e.message))
        ) {
          throw networkError(`${what}:`, e);
        }
        throw e;
      }
    }, this.options.retry);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
