/**
 * A loopback stand-in for the Hugging Face Hub, implementing the endpoints @huggingface/hub 2.17
 * calls (model info, file listings, paths-info, `resolve`, repo creation, the commit flow:
 * preupload → LFS batch with a basic transfer → PUT → NDJSON commit, repo settings) and the way
 * the real Hub serves model files, as huggingface_hub's `file_download.py` expects them:
 * - `resolve` of an LFS file answers 302 to a CDN on another origin, with `X-Linked-Size`,
 *   `X-Linked-Etag` (the sha256), `X-Repo-Commit` and `ETag`; the CDN serves byte ranges and
 *   never needs (nor should receive) the Hub token; small regular files are served directly with
 *   the git blob id as ETag;
 * - errors carry `X-Error-Code` (`RepoNotFound`, `RevisionNotFound`, `EntryNotFound`);
 * - 429s can carry the IETF draft headers `RateLimit: "api";r=0;t=N` and `RateLimit-Policy`.
 * Commits are immutable; private repos need the token. Blobs may live in memory or in a file on
 * disk (for multi-GB tests). The CDN can be throttled, and faults can be queued: error statuses
 * with headers, slow replies, truncated bodies, and transfers that stall or are cut mid-body.
 */
import { createHash } from "node:crypto";
import { Hono } from "hono";
import type { Context } from "hono";

/** A queued fault, consumed by the next request whose path starts with `prefix` (any when absent). */
export type HubFault =
  | { kind: "status"; status: number; headers?: Record<string, string>; prefix?: string }
  | { kind: "slow"; ms: number; prefix?: string }
  | { kind: "truncate"; prefix?: string }
  /** A CDN transfer that pauses for `ms` after `afterBytes` bytes of its body. */
  | { kind: "stall"; afterBytes: number; ms: number; prefix?: string }
  /** A CDN transfer whose connection drops after `afterBytes` bytes of its body. */
  | { kind: "cut"; afterBytes: number; prefix?: string };

/** File contents: bytes in memory, or a file on disk. */
interface Blob {
  size: number;
  bytes?: Uint8Array<ArrayBuffer>;
  file?: string;
}
interface StoredFile {
  oid: string; // sha256 hex of the content
  size: number;
}
interface Commit {
  sha: string;
  files: Map<string, StoredFile>;
}
interface Repo {
  private: boolean;
  commits: Commit[]; // oldest first; the last is main
}

/** Files above this size are LFS files (served through the CDN), as in the stand-in's preupload. */
const LFS_THRESHOLD = 1024;

/** The stand-in's state and app; the CDN is a second app on its own origin. */
export class HubStandIn {
  readonly app = new Hono();
  readonly cdn = new Hono();
  readonly faults: HubFault[] = [];
  readonly requests: string[] = [];
  readonly repos = new Map<string, Repo>();
  readonly blobs = new Map<string, Blob>();
  /** Body bytes served for each file path, through `resolve` or the CDN (to test resumes). */
  readonly served = new Map<string, number>();
  /** Authorization headers the CDN received ("" when none): it must never see the Hub token. */
  readonly cdnAuthorizations: string[] = [];
  /** CDN pacing: bytes per second (unlimited when undefined). */
  cdnBytesPerSecond?: number;
  /** The CDN ignores Range headers and sends whole files with 200, as some proxies do. */
  cdnIgnoresRange = false;
  /** Set by `startHub`: where the CDN listens. */
  cdnOrigin = "";
  readonly #bodyFaults = new WeakMap<Request, Extract<HubFault, { kind: "stall" | "cut" }>>();

  constructor(readonly token: string) {
    const app = this.app;
    app.use("*", (c, next) => this.#faults(c, next));
    this.cdn.use("*", (c, next) => this.#faults(c, next));
    app.get(
      "/api/whoami-v2",
      (
        c,
      ) => (this.#authorized(c)
        ? c.json({ type: "user", name: "tester" })
        : c.json({ error: "Invalid credentials" }, 401)),
    );
    app.post("/api/repos/create", async (c) => {
      if (!this.#authorized(c)) return c.json({ error: "Invalid credentials" }, 401);
      const body = await c.req.json();
      const id = body.organization ? `${body.organization}/${body.name}` : `tester/${body.name}`;
      if (this.repos.has(id)) return c.json({ error: "You already created this model repo" }, 409);
      // @huggingface/hub 2.17 sends `visibility`; older clients sent `private`.
      const isPrivate = body.visibility !== undefined ? body.visibility !== "public" : body.private ?? false;
      this.repos.set(id, { private: isPrivate, commits: [] });
      return c.json({ url: `${new URL(c.req.url).origin}/${id}` });
    });
    app.get("/api/models/:ns/:name/revision/:rev", (c) => {
      const found = this.#find(c);
      if (found instanceof Response) return found;
      const { id, repo, commit } = found;
      return c.json({
        _id: id,
        id,
        modelId: id,
        private: repo.private,
        sha: commit.sha,
        siblings: [...commit.files.keys()].map((rfilename) => ({ rfilename })),
      });
    });
    app.get("/api/models/:ns/:name/tree/:rev", (c) => {
      const found = this.#find(c);
      if (found instanceof Response) return found;
      return c.json([...found.commit.files].map(([path, f]) => this.#entry(path, f)));
    });
    app.post("/api/models/:ns/:name/paths-info/:rev", async (c) => {
      const found = this.#find(c);
      if (found instanceof Response) return found;
      const { paths } = await c.req.json();
      return c.json(
        (paths as string[]).filter((p) => found.commit.files.has(p)).map((p) => ({
          ...this.#entry(p, found.commit.files.get(p)!),
          lastCommit: { id: found.commit.sha, title: "commit", date: new Date(0).toISOString() },
        })),
      );
    });
    app.on(["GET", "HEAD"], "/:ns/:name/resolve/:rev/:path{.+}", (c) => {
      const found = this.#find(c);
      if (found instanceof Response) return found;
      const path = c.req.param("path");
      const file = found.commit.files.get(path);
      if (!file) return c.json({ error: "Entry not found" }, 404, { "X-Error-Code": "EntryNotFound" });
      if (file.size > LFS_THRESHOLD) {
        // As the real Hub: LFS files are served by a CDN whose signed URL the client follows.
        const location = `${this.cdnOrigin}/cdn/${file.oid}?file=${encodeURIComponent(path)}&expires=9999999999`;
        return c.body(null, 302, {
          Location: location,
          "X-Linked-Size": String(file.size),
          "X-Linked-Etag": `"${file.oid}"`,
          "X-Repo-Commit": found.commit.sha,
          ETag: `"${this.#gitOid(file)}"`,
        });
      }
      return this.#serve(c, file.oid, path, { ETag: `"${this.#gitOid(file)}"`, "X-Repo-Commit": found.commit.sha });
    });
    this.cdn.on(["GET", "HEAD"], "/cdn/:oid", (c) => {
      this.cdnAuthorizations.push(c.req.header("authorization") ?? "");
      const oid = c.req.param("oid");
      if (!this.blobs.has(oid)) return c.body("NoSuchKey", 404);
      return this.#serve(
        c,
        oid,
        c.req.query("file") ?? oid,
        { ETag: `"${oid}"` },
        this.cdnBytesPerSecond,
        this.cdnIgnoresRange,
      );
    });
    app.post("/api/models/:ns/:name/preupload/:rev", async (c) => {
      const found = this.#writable(c);
      if (found instanceof Response) return found;
      const { files } = await c.req.json();
      return c.json({
        files: (files as { path: string; size: number }[]).map((f) => ({
          path: f.path,
          uploadMode: f.size > LFS_THRESHOLD || f.path.endsWith(".safetensors") ? "lfs" : "regular",
          shouldIgnore: false,
        })),
      });
    });
    app.post("/:ns/:repo{.+\\.git}/info/lfs/objects/batch", async (c) => {
      const id = `${c.req.param("ns")}/${c.req.param("repo").slice(0, -4)}`;
      if (!this.#authorized(c) || !this.repos.has(id)) return c.json({ message: "Repository not found" }, 404);
      const { objects } = await c.req.json();
      const origin = new URL(c.req.url).origin;
      return c.json({
        transfer: "basic",
        objects: (objects as { oid: string; size: number }[]).map((o) => ({
          oid: o.oid,
          size: o.size,
          authenticated: true,
          ...(this.blobs.has(o.oid)
            ? {}
            : { actions: { upload: { href: `${origin}/lfs-upload/${o.oid}`, header: {} } } }),
        })),
      });
    });
    app.put("/lfs-upload/:oid", async (c) => {
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      const oid = createHash("sha256").update(bytes).digest("hex");
      if (oid !== c.req.param("oid")) return c.json({ error: "sha256 mismatch" }, 400);
      this.blobs.set(oid, { size: bytes.length, bytes });
      return c.body(null, 200);
    });
    app.post("/api/models/:ns/:name/commit/:rev", async (c) => {
      const found = this.#writable(c);
      if (found instanceof Response) return found;
      const lines = (await c.req.text()).split("\n").filter(Boolean).map((l) => JSON.parse(l));
      const files = new Map(found.repo.commits.at(-1)?.files ?? []);
      for (const { key, value } of lines) {
        if (key === "header") continue;
        if (typeof value?.path !== "string" || value.path.split("/").includes("..") || value.path.startsWith("/")) {
          return c.json({ error: `invalid path ${JSON.stringify(value?.path)}` }, 400);
        }
        if (key === "file") {
          const bytes = Uint8Array.from(atob(value.content), (ch) => ch.charCodeAt(0));
          const oid = createHash("sha256").update(bytes).digest("hex");
          this.blobs.set(oid, { size: bytes.length, bytes });
          files.set(value.path, { oid, size: bytes.length });
        } else if (key === "lfsFile") {
          if (!this.blobs.has(value.oid)) return c.json({ error: `LFS object ${value.oid} was not uploaded` }, 422);
          files.set(value.path, { oid: value.oid, size: value.size });
        } else if (key === "deletedFile") {
          files.delete(value.path);
        }
      }
      const sha = createHash("sha1").update(JSON.stringify([found.repo.commits.length, [...files]])).digest("hex");
      found.repo.commits.push({ sha, files });
      return c.json({
        commitOid: sha,
        commitUrl: `${new URL(c.req.url).origin}/${found.id}/commit/${sha}`,
        hookOutput: "",
      });
    });
    app.put("/api/models/:ns/:name/settings", async (c) => {
      const found = this.#writable(c);
      if (found instanceof Response) return found;
      const body = await c.req.json();
      if (typeof body.private === "boolean") found.repo.private = body.private;
      return c.json({ private: found.repo.private });
    });
  }

  /** Puts files into a repo directly (for hostile repos the real client could not upload). */
  seed(id: string, files: Record<string, Uint8Array>, isPrivate = false): string {
    const stored: Record<string, StoredFile> = {};
    for (const [path, given] of Object.entries(files)) {
      const bytes = new Uint8Array(given);
      const oid = createHash("sha256").update(bytes).digest("hex");
      this.blobs.set(oid, { size: bytes.length, bytes });
      stored[path] = { oid, size: bytes.length };
    }
    return this.#commit(id, stored, isPrivate);
  }

  /** Puts a file that lives on disk into a repo (its sha256 given, so it is not read here). */
  seedFile(id: string, path: string, file: { path: string; size: number; sha256: string }, isPrivate = false): string {
    this.blobs.set(file.sha256, { size: file.size, file: file.path });
    return this.#commit(id, { [path]: { oid: file.sha256, size: file.size } }, isPrivate);
  }

  #commit(id: string, files: Record<string, StoredFile>, isPrivate: boolean): string {
    const repo = this.repos.get(id) ?? { private: isPrivate, commits: [] };
    this.repos.set(id, repo);
    const map = new Map(Object.entries(files));
    const sha = createHash("sha1").update(JSON.stringify([repo.commits.length, [...map]])).digest("hex");
    repo.commits.push({ sha, files: map });
    return sha;
  }

  async #faults(c: Context, next: () => Promise<void>): Promise<Response | void> {
    this.requests.push(`${c.req.method} ${c.req.path}`);
    // Stalls and cuts happen inside a transfer, so they wait for a CDN request.
    const transfer = c.req.path.startsWith("/cdn/");
    const i = this.faults.findIndex((f) =>
      (!f.prefix || c.req.path.startsWith(f.prefix)) && (transfer || (f.kind !== "stall" && f.kind !== "cut"))
    );
    const fault = i >= 0 ? this.faults.splice(i, 1)[0] : undefined;
    if (fault?.kind === "status") {
      return c.json({ error: `injected ${fault.status}` }, fault.status as 500, fault.headers ?? {});
    }
    if (fault?.kind === "slow") await delay(fault.ms);
    if (fault?.kind === "stall" || fault?.kind === "cut") this.#bodyFaults.set(c.req.raw, fault);
    await next();
    if (fault?.kind === "truncate") {
      const bytes = new Uint8Array(await c.res.arrayBuffer());
      const headers = new Headers(c.res.headers);
      headers.delete("content-length");
      c.res = new Response(bytes.slice(0, Math.floor(bytes.length / 2)), { status: c.res.status, headers });
    }
  }

  /** A blob's bytes, honouring `Range: bytes=a-[b]`, paced and faulted as configured. */
  #serve(
    c: Context,
    oid: string,
    path: string,
    headers: Record<string, string>,
    bytesPerSecond?: number,
    ignoreRange = false,
  ): Response {
    const blob = this.blobs.get(oid)!;
    const range = ignoreRange ? undefined : c.req.header("range")?.match(/^bytes=(\d+)-(\d*)$/);
    let start = 0, end = blob.size - 1, status: 200 | 206 = 200;
    const out: Record<string, string> = { ...headers, "Accept-Ranges": "bytes" };
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), blob.size - 1) : blob.size - 1;
      if (start >= blob.size) return c.body(null, 416, { ...out, "Content-Range": `bytes */${blob.size}` });
      status = 206;
      out["Content-Range"] = `bytes ${start}-${end}/${blob.size}`;
    }
    out["Content-Length"] = String(end - start + 1);
    if (c.req.method === "HEAD") return c.body(null, status, out);
    const body = blobStream(blob, start, end + 1, {
      bytesPerSecond,
      fault: this.#bodyFaults.get(c.req.raw),
      onBytes: (n) => this.served.set(path, (this.served.get(path) ?? 0) + n),
    });
    return new Response(body, { status, headers: out });
  }

  #authorized(c: Context): boolean {
    return c.req.header("authorization") === `Bearer ${this.token}`;
  }

  #gitOid(f: StoredFile): string {
    return createHash("sha1").update(`blob ${f.size}\0${f.oid}`).digest("hex");
  }

  #entry(path: string, f: StoredFile) {
    return {
      type: "file",
      oid: this.#gitOid(f),
      size: f.size,
      path,
      ...(f.size > LFS_THRESHOLD ? { lfs: { oid: f.oid, size: f.size, pointerSize: 134 } } : {}),
    };
  }

  #find(c: Context): { id: string; repo: Repo; commit: Commit } | Response {
    const id = `${c.req.param("ns")}/${c.req.param("name")}`;
    const repo = this.repos.get(id);
    if (!repo || (repo.private && !this.#authorized(c))) {
      return c.json({ error: "Repository not found" }, 404, { "X-Error-Code": "RepoNotFound" });
    }
    const rev = decodeURIComponent(c.req.param("rev") ?? "main");
    const commit = rev === "main" || rev === "HEAD" ? repo.commits.at(-1) : repo.commits.find((k) => k.sha === rev);
    if (!commit) return c.json({ error: `Invalid rev id: ${rev}` }, 404, { "X-Error-Code": "RevisionNotFound" });
    return { id, repo, commit };
  }

  #writable(c: Context): { id: string; repo: Repo } | Response {
    if (!this.#authorized(c)) return c.json({ error: "Invalid credentials" }, 401);
    const id = `${c.req.param("ns")}/${c.req.param("name")}`;
    const repo = this.repos.get(id);
    if (!repo) return c.json({ error: "Repository not found" }, 404, { "X-Error-Code": "RepoNotFound" });
    return { id, repo };
  }
}

/** Streams bytes [start, end) of a blob in 1 MiB chunks, paced to `bytesPerSecond`, with a stall or cut. */
function blobStream(
  blob: Blob,
  start: number,
  end: number,
  o: {
    bytesPerSecond?: number;
    fault?: Extract<HubFault, { kind: "stall" | "cut" }>;
    onBytes: (n: number) => void;
  },
): ReadableStream<Uint8Array> {
  const CHUNK = 1 << 20;
  let at = start, sent = 0, file: Deno.FsFile | undefined, faulted = false, cancelled = false;
  const began = performance.now();
  return new ReadableStream({
    async pull(out) {
      if (at >= end || cancelled) {
        file?.close();
        return out.close();
      }
      if (o.fault && !faulted && sent >= o.fault.afterBytes) {
        faulted = true;
        if (o.fault.kind === "cut") {
          // Ends the body short of its Content-Length: the client sees the connection drop.
          file?.close();
          return out.close();
        }
        await delay(o.fault.ms);
      }
      // Throttled, the body goes out in pieces of a twentieth of a second, as a slow link delivers
      // it: whole 1 MiB pieces at 4 MiB/s would leave 250 ms gaps, next to a client's stall limit.
      const piece = o.bytesPerSecond ? Math.min(CHUNK, Math.max(4096, Math.floor(o.bytesPerSecond / 20))) : CHUNK;
      let n = Math.min(piece, end - at);
      if (o.fault && !faulted) n = Math.min(n, Math.max(1, o.fault.afterBytes - sent));
      let chunk: Uint8Array;
      if (blob.bytes) chunk = blob.bytes.slice(at, at + n);
      else {
        file ??= await Deno.open(blob.file!, { read: true });
        await file.seek(at, Deno.SeekMode.Start);
        chunk = new Uint8Array(n);
        for (let got = 0; got < n;) got += (await file.read(chunk.subarray(got))) ?? n;
      }
      if (o.bytesPerSecond) {
        const due = began + ((sent + n) / o.bytesPerSecond) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await delay(wait);
      }
      at += n;
      sent += n;
      o.onBytes(n);
      out.enqueue(chunk);
    },
    cancel() {
      cancelled = true;
      file?.close();
    },
  });
}

/** A running stand-in: the Hub and its CDN, each on its own loopback port. */
export interface RunningHub {
  url: string;
  cdnUrl: string;
  hub: HubStandIn;
  close(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1 with OS-chosen ports. */
export function startHub(token = "hf_test_token"): RunningHub {
  const hub = new HubStandIn(token);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, hub.app.fetch);
  const cdn = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, hub.cdn.fetch);
  hub.cdnOrigin = `http://127.0.0.1:${cdn.addr.port}`;
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    cdnUrl: hub.cdnOrigin,
    hub,
    close: async () => {
      await server.shutdown();
      await cdn.shutdown();
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
