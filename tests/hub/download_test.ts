/**
 * Model-file downloads as the real Hub serves them (huggingface_hub `file_download.py`): `resolve`
 * redirects LFS files to a CDN on another origin that serves ranges; a stall, a dropped
 * connection or an expired CDN URL must not restart a transfer; 429s carry `RateLimit`
 * (`utils/_http.py`); errors carry `X-Error-Code` (`hf_raise_for_status`).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { HfModelStore, HttpError } from "../../src/mod.ts";
import { startHub } from "../standins/hub.ts";
import { tempDir } from "../helpers/temp.ts";

const TOKEN = "hf_test_token";

/**
 * A hub holding one 4 MiB weights file and a small config; waits are recorded, not slept. The
 * stall limit is long unless a test is about stalls: on a loaded 2-core machine a 300 ms limit
 * once cut two plain transfers short, which then failed their byte counts.
 */
function hubWithBigFile(stallMs = 5_000) {
  const h = startHub(TOKEN);
  const weights = new Uint8Array(4 << 20);
  for (let i = 0; i < weights.length; i += 65536) crypto.getRandomValues(weights.subarray(i, i + 65536));
  const sha = h.hub.seed("tester/big", { "config.json": new TextEncoder().encode("{}"), "model.safetensors": weights });
  const waits: number[] = [], lines: string[] = [];
  const store = new HfModelStore({
    hubUrl: h.url,
    accessToken: TOKEN,
    stallMs,
    retry: { attempts: 4, sleep: (ms) => (waits.push(ms), Promise.resolve()), log: (l) => lines.push(l) },
  });
  const digest = createHash("sha256").update(weights).digest("hex");
  return { h, store, sha, weights, digest, waits, lines };
}

async function downloaded(dir: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(join(dir, "model.safetensors"))).digest("hex");
}

Deno.test("LFS files come from the CDN origin by range; the Hub token never reaches the CDN", async () => {
  const { h, store, sha, digest } = hubWithBigFile();
  try {
    const cache = await tempDir();
    const got = await store.download({
      repo: "tester/big",
      commit: sha,
      paths: ["config.json", "model.safetensors"],
      cacheDir: cache,
    });
    assert.equal(await downloaded(got.dir), digest);
    assert.ok(h.hub.cdnAuthorizations.length > 0, "the weights went through the CDN");
    assert.ok(h.hub.cdnAuthorizations.every((a) => a === ""), "no Authorization header on another origin");
    assert.equal(got.fetchedBytes, (4 << 20) + 2);
    const blob = join(cache, "models--tester--big", "blobs", digest);
    assert.equal(Deno.statSync(blob).size, 4 << 20, "the blob is named by its sha256, as huggingface_hub names it");
    assert.equal(Deno.readLinkSync(join(got.dir, "model.safetensors")), join("..", "..", "blobs", digest));
  } finally {
    await h.close();
  }
});

Deno.test("a slow transfer longer than the stall limit completes; a stall mid-body resumes by range", async () => {
  // The throttled stand-in sends a piece every 50 ms; a 1 s stall limit leaves room for a loaded
  // 2-core machine's pauses. (It sent 1 MiB pieces at 4 MiB/s, 250 ms apart, against a 0.3 s limit:
  // a clean-clone run beside a CPU hog once saw a spurious stall there.)
  const { h, store, sha, digest, lines } = hubWithBigFile(1000);
  try {
    h.hub.cdnBytesPerSecond = 1 << 20; // about 4 s for the file, four times the stall limit
    const started = performance.now();
    const first = await store.download({
      repo: "tester/big",
      commit: sha,
      paths: ["model.safetensors"],
      cacheDir: await tempDir(),
    });
    assert.ok(performance.now() - started > 3000, "the transfer really took longer than the stall limit");
    assert.equal(await downloaded(first.dir), digest);
    assert.equal(lines.length, 0, "no retry was needed");

    h.hub.cdnBytesPerSecond = undefined;
    h.hub.served.clear();
    h.hub.faults.push({ kind: "stall", afterBytes: 1 << 20, ms: 4000 });
    const second = await store.download({
      repo: "tester/big",
      commit: sha,
      paths: ["model.safetensors"],
      cacheDir: await tempDir(),
    });
    assert.equal(await downloaded(second.dir), digest);
    assert.match(lines[0], /stalled: no bytes for 1.0 s/);
    const served = h.hub.served.get("model.safetensors")!;
    assert.ok(served <= (4 << 20) + (1 << 20), `resumed, not restarted: ${served} bytes served for a 4 MiB file`);
  } finally {
    await h.close();
  }
});

Deno.test("a dropped connection resumes from the bytes on disk; an expired CDN URL is resolved again", async () => {
  const { h, store, sha, digest } = hubWithBigFile();
  try {
    h.hub.faults.push({ kind: "cut", afterBytes: 3 << 20 }, { kind: "status", status: 403, prefix: "/cdn/" });
    const got = await store.download({
      repo: "tester/big",
      commit: sha,
      paths: ["model.safetensors"],
      cacheDir: await tempDir(),
    });
    assert.equal(await downloaded(got.dir), digest);
    assert.equal(h.hub.served.get("model.safetensors"), 4 << 20, "every byte was sent once");
    const resolves = h.hub.requests.filter((r) => r.includes("/resolve/") && r.endsWith("model.safetensors"));
    assert.equal(resolves.length, 2, "the refused CDN URL sent the client back to resolve");
  } finally {
    await h.close();
  }
});

Deno.test("a CDN that ignores Range restarts the file from byte 0 rather than corrupt it", async () => {
  const { h, store, sha, digest } = hubWithBigFile();
  try {
    h.hub.cdnIgnoresRange = true;
    h.hub.faults.push({ kind: "cut", afterBytes: 2 << 20 });
    const got = await store.download({
      repo: "tester/big",
      commit: sha,
      paths: ["model.safetensors"],
      cacheDir: await tempDir(),
    });
    assert.equal(await downloaded(got.dir), digest);
    assert.equal(h.hub.served.get("model.safetensors"), (2 << 20) + (4 << 20));
  } finally {
    await h.close();
  }
});

Deno.test("429s with only RateLimit (API) or Retry-After (CDN) wait as told, then succeed", async () => {
  const { h, store, sha, digest, waits, lines } = hubWithBigFile();
  try {
    h.hub.faults.push(
      {
        kind: "status",
        status: 429,
        prefix: "/api/models",
        headers: { RateLimit: '"api";r=0;t=42', "RateLimit-Policy": '"fixed window";"api";q=1000;w=300' },
      },
      { kind: "status", status: 429, prefix: "/cdn/", headers: { "Retry-After": "3" } },
    );
    const got = await store.download({
      repo: "tester/big",
      commit: sha,
      paths: ["model.safetensors"],
      cacheDir: await tempDir(),
    });
    assert.equal(await downloaded(got.dir), digest);
    assert.deepEqual(waits, [43_000, 4_000]);
    assert.match(lines[0], /returned 429 \(rate limit "api" exhausted, resets in 42 s, 1000 per 300 s\)/);
  } finally {
    await h.close();
  }
});

Deno.test("missing repos and revisions fail at once with the Hub's X-Error-Code", async () => {
  const { h, store, sha, waits } = hubWithBigFile();
  try {
    await assert.rejects(
      () => store.download({ repo: "tester/none", commit: sha, paths: ["model.safetensors"], cacheDir: "/tmp/unused" }),
      (e: unknown) => e instanceof HttpError && e.code === "RepoNotFound" && !e.transient,
    );
    await assert.rejects(
      () =>
        store.download({
          repo: "tester/big",
          commit: "f".repeat(40),
          paths: ["model.safetensors"],
          cacheDir: "/tmp/unused",
        }),
      (e: unknown) => e instanceof HttpError && e.code === "RevisionNotFound",
    );
    await assert.rejects(
      () => store.download({ repo: "tester/big", commit: sha, paths: ["nope.safetensors"], cacheDir: "/tmp/unused" }),
      (e: unknown) => e instanceof HttpError && e.code === "EntryNotFound",
    );
    assert.deepEqual(waits, []);
  } finally {
    await h.close();
  }
});
