/**
 * A loopback stand-in for the Hugging Face Hub, implementing the endpoints @huggingface/hub 2.17
 * calls for model info, file listings, paths-info, ranged downloads (`resolve`), repo creation,
 * the commit flow (preupload → LFS batch with a basic transfer → PUT → NDJSON commit) and repo
 * settings. Commits are immutable. Private repos need the token. Faults can be queued: error
 * statuses, slow replies, truncated bodies.
 */
import { createHash } from "node:crypto";
import { Hono } from "hono";
import type { Context } from "hono";

/** A queued fault, consumed by the next request whose path starts with `prefix` (any when absent). */
export type HubFault =
  | { kind: "status"; status: number; prefix?: string }
  | { kind: "slow"; ms: number; prefix?: string }
  | { kind: "truncate"; prefix?: string };

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

/** The stand-in's state and app. */
export class HubStandIn {
  readonly app = new Hono();
  readonly faults: HubFault[] = [];
  readonly requests: string[] = [];
  readonly repos = new Map<string, Repo>();
  readonly blobs = new Map<string, Uint8Array<ArrayBuffer>>();
  /** Bytes served from `resolve`, by path (to test resume without re-downloading). */
  readonly served = new Map<string, number>();

  constructor(readonly token: string) {
    const app = this.app;
    app.use("*", async (c, next) => {
      this.requests.push(`${c.req.method} ${c.req.path}`);
      const i = this.faults.findIndex((f) => !f.prefix || c.req.path.startsWith(f.prefix));
      const fault = i >= 0 ? this.faults.splice(i, 1)[0] : undefined;
      if (fault?.kind === "status") return c.json({ error: `injected ${fault.status}` }, fault.status as 500);
      if (fault?.kind === "slow") await delay(fault.ms, c.req.raw.signal);
      await next();
      if (fault?.kind === "truncate") {
        const bytes = new Uint8Array(await c.res.arrayBuffer());
        const headers = new Headers(c.res.headers);
        headers.delete("content-length");
        c.res = new Response(bytes.slice(0, Math.floor(bytes.length / 2)), { status: c.res.status, headers });
      }
    });
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
      const data = this.blobs.get(file.oid)!;
      const range = c.req.header("range")?.match(/^bytes=(\d+)-(\d*)$/);
      const headers = { ETag: `"${file.oid}"`, "X-Repo-Commit": found.commit.sha, "Accept-Ranges": "bytes" };
      if (range) {
        const start = Number(range[1]), end = range[2] ? Math.min(Number(range[2]), data.length - 1) : data.length - 1;
        if (start >= data.length) return c.body(null, 416, { ...headers, "Content-Range": `bytes */${data.length}` });
        this.served.set(path, (this.served.get(path) ?? 0) + end - start + 1);
        return c.body(data.slice(start, end + 1), 206, {
          ...headers,
          "Content-Range": `bytes ${start}-${end}/${data.length}`,
        });
      }
      this.served.set(path, (this.served.get(path) ?? 0) + data.length);
      return c.body(data, 200, headers);
    });
    app.post("/api/models/:ns/:name/preupload/:rev", async (c) => {
      const found = this.#writable(c);
      if (found instanceof Response) return found;
      const { files } = await c.req.json();
      return c.json({
        files: (files as { path: string; size: number }[]).map((f) => ({
          path: f.path,
          uploadMode: f.size > 1024 || f.path.endsWith(".safetensors") ? "lfs" : "regular",
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
      this.blobs.set(oid, bytes);
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
          this.blobs.set(oid, bytes);
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
    const repo = this.repos.get(id) ?? { private: isPrivate, commits: [] };
    this.repos.set(id, repo);
    const map = new Map<string, StoredFile>();
    for (const [path, given] of Object.entries(files)) {
      const bytes = new Uint8Array(given);
      const oid = createHash("sha256").update(bytes).digest("hex");
      this.blobs.set(oid, bytes);
      map.set(path, { oid, size: bytes.length });
    }
    const sha = createHash("sha1").update(JSON.stringify([repo.commits.length, [...map]])).digest("hex");
    repo.commits.push({ sha, files: map });
    return sha;
  }

  #authorized(c: Context): boolean {
    return c.req.header("authorization") === `Bearer ${this.token}`;
  }

  #entry(path: string, f: StoredFile) {
    const gitOid = createHash("sha1").update(`blob ${f.size}\0`).update(this.blobs.get(f.oid)!).digest("hex");
    return {
      type: "file",
      oid: gitOid,
      size: f.size,
      path,
      ...(f.size > 1024 ? { lfs: { oid: f.oid, size: f.size, pointerSize: 134 } } : {}),
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
    if (!repo) return c.json({ error: "Repository not found" }, 404);
    return { id, repo };
  }
}

/** A running stand-in. */
export interface RunningHub {
  url: string;
  hub: HubStandIn;
  close(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1 with an OS-chosen port. */
export function startHub(token = "hf_test_token"): RunningHub {
  const hub = new HubStandIn(token);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, hub.app.fetch);
  return { url: `http://127.0.0.1:${server.addr.port}`, hub, close: () => server.shutdown() };
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}
