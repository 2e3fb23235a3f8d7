/**
 * The Hugging Face Hub as a `ModelStore`, through @huggingface/hub (whose `hubUrl` points tests
 * at a loopback stand-in): model info and listings at a revision, range reads of safetensors
 * headers, downloads into the standard cache layout (completed files are kept across
 * interruptions), uploads through the commit API with LFS, visibility changes. Transient failures
 * (429, 5xx, network) are retried with backoff; a bounded number of files download at once.
 */
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import {
  createRepo,
  downloadFile,
  downloadFileToCacheDir,
  HubApiError,
  listFiles,
  modelInfo,
  uploadFiles,
} from "@huggingface/hub";
import { HttpError, type RetryOptions, withRetry } from "../data/mod.ts";
import { checkRelativePath, type DownloadProgress, type ModelRevision, type ModelStore } from "./model_store.ts";

/** Options for the Hub store. */
export interface HfStoreOptions {
  /** Default: https://huggingface.co. */
  hubUrl?: string;
  accessToken?: string;
  retry?: RetryOptions;
  /** Files downloaded at once (default 2). */
  maxConcurrentDownloads?: number;
  /** Per-request timeout (default 60 s); a timed-out request is retried. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The Hugging Face Hub store. */
export class HfModelStore implements ModelStore {
  readonly name: string;
  readonly #hub: { hubUrl?: string; accessToken?: string; fetch?: typeof fetch };

  constructor(readonly options: HfStoreOptions = {}) {
    this.name = `hf:${options.hubUrl ?? "https://huggingface.co"}`;
    const base = options.fetch ?? fetch, timeoutMs = options.timeoutMs ?? 60_000;
    // @huggingface/hub sets no timeout of its own: every request gets one here.
    const timed: typeof fetch = (input, init) =>
      base(input, {
        ...init,
        signal: init?.signal
          ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)])
          : AbortSignal.timeout(timeoutMs),
      });
    this.#hub = { hubUrl: options.hubUrl, accessToken: options.accessToken, fetch: timed };
  }

  async revision(repo: string, revision: string): Promise<ModelRevision> {
    const info = await this.#retry(() =>
      modelInfo({ ...this.#hub, name: repo, revision, additionalFields: ["sha"] })
    ) as { private: boolean; sha?: string };
    const commit = /^[0-9a-f]{40}$/.test(revision) ? revision : info.sha;
    if (!commit) throw new TypeError(`${repo}@${revision}: the Hub did not say which commit this is`);
    const files = await this.#retry(async () => {
      const out = [];
      for await (const f of listFiles({ ...this.#hub, repo, revision: commit, recursive: true })) {
        if (f.type === "file") out.push({ path: f.path, size: f.size });
      }
      return out;
    });
    return { repo, commit, private: info.private, files };
  }

  async readRange(repo: string, commit: string, path: string, start: number, end: number): Promise<Uint8Array> {
    checkRelativePath(path);
    return await this.#retry(async () => {
      const blob = await downloadFile({ ...this.#hub, repo, path, revision: commit });
      if (!blob) throw new Deno.errors.NotFound(`${repo}@${commit} has no ${path}`);
      return new Uint8Array(await blob.slice(start, end).arrayBuffer());
    });
  }

  async download(
    repo: string,
    commit: string,
    paths: string[],
    cacheDir: string,
    onProgress?: DownloadProgress,
  ): Promise<string> {
    paths.forEach(checkRelativePath);
    const sizes = new Map((await this.revision(repo, commit)).files.map((f) => [f.path, f.size]));
    const total = paths.reduce((n, p) => n + (sizes.get(p) ?? 0), 0);
    let done = 0, snapshot = "";
    const queue = [...paths];
    const worker = async () => {
      for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
        const p = path;
        const pointer = await this.#retry(() =>
          downloadFileToCacheDir({ ...this.#hub, repo, path: p, revision: commit, cacheDir })
        );
        snapshot = pointer.slice(0, pointer.length - p.length - 1);
        done += sizes.get(p) ?? 0;
        onProgress?.(done, total, p);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.maxConcurrentDownloads ?? 2, paths.length) }, worker));
    return snapshot || join(cacheDir, `models--${repo.replaceAll("/", "--")}`, "snapshots", commit);
  }

  async upload(
    repo: string,
    dir: string,
    paths: string[],
    options: { private?: boolean; message?: string } = {},
  ): Promise<string> {
    paths.forEach(checkRelativePath);
    try {
      await this.#retry(() =>
        createRepo({ ...this.#hub, accessToken: this.#writeToken(), repo, private: options.private ?? true })
      );
    } catch (e) {
      if (!(e instanceof HubApiError && e.statusCode === 409)) throw e; // it exists already
      if (options.private !== undefined) await this.setVisibility(repo, options.private);
    }
    const files = paths.map((path) => ({ path, content: pathToFileURL(join(dir, path)) }));
    const result = await this.#retry(() =>
      uploadFiles({
        ...this.#hub,
        accessToken: this.#writeToken(),
        repo,
        files,
        commitTitle: options.message ?? "upload",
        useXet: false,
      })
    );
    if (!result?.commit?.oid) throw new TypeError(`${repo}: the Hub did not return a commit`);
    return result.commit.oid;
  }

  async setVisibility(repo: string, isPrivate: boolean): Promise<void> {
    // @huggingface/hub has no settings call; this is the Hub's own endpoint for it.
    const url = `${this.options.hubUrl ?? "https://huggingface.co"}/api/models/${repo}/settings`;
    await this.#retry(async () => {
      const res = await this.#hub.fetch!(url, {
        method: "PUT",
        headers: {
          "content-type": "application/json",
          ...(this.options.accessToken ? { authorization: `Bearer ${this.options.accessToken}` } : {}),
        },
        body: JSON.stringify({ private: isPrivate }),
      });
      if (!res.ok) {
        throw new HubApiError(
          url,
          res.status,
          undefined,
          `PUT ${url} returned ${res.status}: ${(await res.text()).slice(0, 200)}`,
        );
      }
      await res.body?.cancel();
    });
  }

  #writeToken(): string {
    if (!this.options.accessToken) {
      throw new TypeError("writing to the Hub needs a token: set HF_TOKEN or run huggingface-cli login");
    }
    return this.options.accessToken;
  }

  /** Retries transient Hub failures; others pass through unchanged. */
  #retry<T>(fn: () => Promise<T>): Promise<T> {
    return withRetry(async () => {
      try {
        return await fn();
      } catch (e) {
        const status = e instanceof HubApiError ? e.statusCode : undefined;
        if (status === 429 || (status !== undefined && status >= 500)) {
          throw new HttpError(status, (e as Error).message, true);
        }
        if (e instanceof TypeError && /fetch|network|connection|body/i.test(e.message)) {
          throw new HttpError(0, e.message, true);
        }
        if (e instanceof SyntaxError) throw new HttpError(0, `malformed reply: ${e.message}`, true); // cut-off JSON
        if (e instanceof DOMException && e.name === "TimeoutError") {
          throw new HttpError(0, `request timed out: ${e.message}`, true);
        }
        throw e;
      }
    }, this.options.retry).catch((e) => {
      throw e instanceof HttpError && e.status !== 0 ? new HubApiError("", e.status, undefined, e.message) : e;
    });
  }
}
