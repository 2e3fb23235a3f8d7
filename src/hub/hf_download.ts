/**
 * One file of a Hub repo into the standard cache, the way huggingface_hub lays it out
 * (`file_download.py`): the bytes in `models--{ns}--{name}/blobs/{etag}` (etag = the LFS sha256,
 * else the git blob id), a relative link `snapshots/{commit}/{path}` → the blob.
 *
 * Built for multi-GB shards on ordinary links:
 * - `resolve` answers 302 to a CDN that serves ranges; the CDN URL is reused across retries (the
 *   token is not sent to another origin) and resolved afresh when it stops working;
 * - the only timeout is a stall (the injected fetch's); a cut-off transfer resumes with
 *   `Range: bytes={have}-` from `{blob}.incomplete`, and so does a restart after kill -9, since
 *   the partial file stays on disk (huggingface_hub ≥ 0.30 restarts from zero instead);
 * - a server that ignores the range (200) restarts the file from byte 0, as huggingface_hub does;
 * - bytes go to disk chunk by chunk, so memory stays bounded whatever the file size;
 * - an LFS file's bytes must hash to its sha256 before the blob is put in place;
 * - an exclusive lock per blob (`.locks/models--…/{etag}.lock`) keeps two processes from writing
 *   the same partial file.
 */
import { createHash, type Hash } from "node:crypto";
import { dirname, join, relative } from "node:path";
import { HttpError, networkError, type RetryOptions, toldWaitMs, withRetry } from "../http/mod.ts";
import { cacheFolderName } from "./model_store.ts";

/** What to download and where. */
export interface HubFileRequest {
  hubUrl: string;
  repo: string;
  commit: string;
  path: string;
  /** Bytes, from the revision listing. */
  size: number;
  /** The cache's blob name: the LFS sha256, else the git blob id. */
  etag: string;
  /** When known (LFS files), the content must hash to this (hex). */
  sha256?: string;
  cacheDir: string;
  token?: string;
  /** A stall-guarded fetch. */
  fetch: typeof fetch;
  retry?: RetryOptions;
  /** Receives each change of the bytes on disk (negative when a server forces a restart). */
  onBytes?: (delta: number) => void;
}

/** What a download did, so a validator knows which cache entries are its own. */
export interface HubFileResult {
  pointer: string;
  /** The blob did not exist before this download. */
  createdBlob: boolean;
  /** Bytes that crossed the network in this call. */
  fetchedBytes: number;
}

/** Downloads (or resumes, or reuses) one file; returns its snapshot pointer. */
export async function downloadHubFile(r: HubFileRequest): Promise<HubFileResult> {
  const storage = join(r.cacheDir, cacheFolderName(r.repo));
  const blob = join(storage, "blobs", r.etag);
  const pointer = join(storage, "snapshots", r.commit, r.path);
  if (await sizeOf(pointer) === r.size) return { pointer, createdBlob: false, fetchedBytes: 0 };

  await Deno.mkdir(dirname(blob), { recursive: true });
  const lockPath = join(r.cacheDir, ".locks", cacheFolderName(r.repo), `${r.etag}.lock`);
  await Deno.mkdir(dirname(lockPath), { recursive: true });
  using lock = await Deno.open(lockPath, { create: true, write: true });
  await lock.lock(true);
  let createdBlob = false, fetchedBytes = 0;
  if (await sizeOf(blob) !== r.size) {
    fetchedBytes = await fetchBlob(r, blob);
    createdBlob = true;
  }
  await link(blob, pointer);
  await lock.unlock();
  return { pointer, createdBlob, fetchedBytes };
}

/** Fills `{blob}.incomplete` to `size` bytes (resuming), checks it, and renames it into place. */
async function fetchBlob(r: HubFileRequest, blob: string): Promise<number> {
  const partial = `${blob}.incomplete`;
  using file = await Deno.open(partial, { create: true, append: true });
  let have = (await file.stat()).size;
  if (have > r.size) {
    await file.truncate(0);
    r.onBytes?.(-have);
    have = 0;
  }
  let hash = r.sha256 ? await hashPrefix(partial, have) : undefined;
  r.onBytes?.(have);
  let cdn: URL | undefined, fetched = 0, progressed = false;
  const what = `${r.repo}@${r.commit.slice(0, 12)}/${r.path}`;

  await withRetry(async () => {
    progressed = false;
    if (have < r.size) {
      const res = await openRange(r, cdn, have, what);
      cdn = res.cdn;
      if (res.response.status === 200 && have > 0) {
        // The server ignored the range: start the file again rather than corrupt it.
        await file.truncate(0);
        r.onBytes?.(-have);
        have = 0;
        hash = r.sha256 ? createHash("sha256") : undefined;
      }
      // One write in flight while the next chunk arrives and is hashed: the disk and the network
      // overlap instead of taking turns (each chunk is its own buffer, so nothing is overwritten).
      let writing: Promise<void> = Promise.resolve();
      try {
        for await (const chunk of res.response.body!) {
          if (have + chunk.length > r.size) {
            throw new HttpError(0, `${what}: the server sent more than the listed ${r.size} bytes`, {
              transient: true,
            });
          }
          await writing;
          writing = writeAll(file, chunk);
          hash?.update(chunk);
          have += chunk.length;
          fetched += chunk.length;
          progressed = true;
          r.onBytes?.(chunk.length);
        }
        await writing;
      } catch (e) {
        // A failed write (a full disk) is not the network's fault and is not retried; otherwise
        // the file holds every byte counted before anyone truncates or resumes it.
        const failedWrite = await writing.then(() => undefined, (w: unknown) => w ?? new Error("write failed"));
        if (failedWrite) throw failedWrite;
        if (e instanceof HttpError) throw e;
        throw networkError(`${what}: download`, e);
      }
    }
    if (have !== r.size) {
      throw new HttpError(0, `${what}: the transfer ended at ${have} of ${r.size} bytes`, { transient: true });
    }
    if (hash && hash.digest("hex") !== r.sha256) {
      await file.truncate(0);
      r.onBytes?.(-have);
      have = 0;
      hash = createHash("sha256");
      progressed = false; // bad bytes are no progress: a server that keeps sending them runs out of attempts
      throw new HttpError(0, `${what}: the downloaded bytes do not hash to the listed sha256; starting over`, {
        transient: true,
      });
    }
  }, { ...r.retry, resetWhen: () => progressed });
  await Deno.rename(partial, blob);
  return fetched;
}

/**
 * A response streaming the file from byte `have`: from the known CDN URL when there is one, else
 * through `resolve` (whose 302 names the CDN). Refusals become `HttpError`s that say whether to retry.
 */
async function openRange(
  r: HubFileRequest,
  cdn: URL | undefined,
  have: number,
  what: string,
): Promise<{ response: Response; cdn?: URL }> {
  const range = { range: `bytes=${have}-` };
  const resolveUrl = new URL(
    `${r.hubUrl}/${r.repo}/resolve/${r.commit}/${r.path.split("/").map(encodeURIComponent).join("/")}`,
  );
  const auth: Record<string, string> = r.token ? { authorization: `Bearer ${r.token}` } : {};
  if (cdn) {
    const res = await get(r.fetch, cdn, { ...range, ...(cdn.origin === resolveUrl.origin ? auth : {}) }, what);
    if (res.ok) return { response: checkRange(res, have, what), cdn };
    await res.body?.cancel();
    // A signed CDN URL expires: resolve again (this attempt counts as a retry).
    if (![401, 403, 404, 410].includes(res.status)) throw replyError(res, what);
  }
  const res = await get(r.fetch, resolveUrl, { ...range, ...auth }, what, "manual");
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel();
    const location = res.headers.get("location");
    if (!location) throw new HttpError(res.status, `${what}: redirect without a Location`, { transient: true });
    const target = new URL(location, resolveUrl);
    const next = await get(r.fetch, target, { ...range, ...(target.origin === resolveUrl.origin ? auth : {}) }, what);
    if (!next.ok) {
      await next.body?.cancel();
      throw replyError(next, what);
    }
    return { response: checkRange(next, have, what), cdn: target };
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw replyError(res, what);
  }
  return { response: checkRange(res, have, what) };
}

async function get(
  f: typeof fetch,
  url: URL,
  headers: Record<string, string>,
  what: string,
  redirect: RequestRedirect = "follow",
): Promise<Response> {
  try {
    return await f(url, { headers: { ...headers, "accept-encoding": "identity" }, redirect });
  } catch (e) {
    throw networkError(`${what}: GET ${url.host}`, e);
  }
}

/** A 206 must start where the file stops; a 200 is the whole file (handled by the caller). */
function checkRange(res: Response, have: number, what: string): Response {
  if (res.status === 206) {
    const start = Number(/^bytes (\d+)-/.exec(res.headers.get("content-range") ?? "")?.[1]);
    if (start !== have) {
      res.body?.cancel();
      throw new HttpError(206, `${what}: asked for bytes from ${have}, got a range starting at ${start}`, {
        transient: true,
      });
    }
  }
  return res;
}

/** A refusal, classified: 429 and 5xx are worth waiting for; the Hub's X-Error-Code names the rest. */
function replyError(res: Response, what: string): HttpError {
  const code = res.headers.get("x-error-code") ?? undefined;
  const transient = res.status === 429 || res.status >= 500 || res.status === 408;
  const named = code ? ` ${code}` : "";
  return new HttpError(res.status, `${what}: the Hub answered ${res.status}${named}`, {
    transient,
    waitMs: transient ? toldWaitMs(res.status, res.headers) : undefined,
    code,
  });
}

async function hashPrefix(path: string, length: number): Promise<Hash> {
  const h = createHash("sha256");
  if (length === 0) return h;
  using f = await Deno.open(path, { read: true });
  const buf = new Uint8Array(1 << 22);
  for (let left = length; left > 0;) {
    const n = await f.read(buf.subarray(0, Math.min(buf.length, left)));
    if (n === null) break;
    h.update(buf.subarray(0, n));
    left -= n;
  }
  return h;
}

async function writeAll(f: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await f.write(bytes.subarray(at));
}

/** A relative link from the snapshot to the blob, as the HF cache does (so the cache can move). */
async function link(blob: string, pointer: string): Promise<void> {
  await Deno.mkdir(dirname(pointer), { recursive: true });
  await Deno.remove(pointer).catch(() => {});
  await Deno.symlink(relative(dirname(pointer), blob), pointer);
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return undefined;
  }
}
