/**
 * Throughput of the download path (`downloadHubFile`: stall-guarded fetch, chunked writes to the
 * partial file, sha256 on the fly, rename and link into the HF cache) against a plain file copy
 * of the same bytes. The bytes come from a loopback server that serves the file with ranges, so
 * the ratio shows what our code costs on top of the disk, not what a network would.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { stallGuardedFetch } from "../http/mod.ts";
import { downloadHubFile } from "./hf_download.ts";

/** What was measured. */
export interface DownloadBench {
  bytes: number;
  /** `Deno.copyFile` of the source file, seconds. */
  copySeconds: number;
  /** The loopback transfer alone (bytes read and dropped), seconds: the transport's ceiling. */
  fetchSeconds: number;
  /** A cold download into an empty cache, seconds. */
  downloadSeconds: number;
  /** A download cut once at half and resumed: bytes that crossed the loopback in all, and seconds. */
  cutFetchedBytes: number;
  cutSeconds: number;
}

/** Runs the comparison in `dir` (which it fills with three copies of a `bytes`-sized file). */
export async function benchDownload(dir: string, bytes: number): Promise<DownloadBench> {
  const source = join(dir, "source.bin");
  const sha256 = await writeRandomFile(source, bytes);
  let cutAt = -1; // serve only this many bytes once, then fail the transfer
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const f = await Deno.open(source, { read: true });
    const m = /^bytes=(\d+)-$/.exec(req.headers.get("range") ?? "");
    const from = m ? Number(m[1]) : 0;
    await f.seek(from, Deno.SeekMode.Start);
    const headers = {
      "content-length": String(bytes - from),
      ...(m ? { "content-range": `bytes ${from}-${bytes - 1}/${bytes}` } : {}),
    };
    if (cutAt < 0) return new Response(f.readable, { status: m ? 206 : 200, headers });
    const limit = cutAt;
    cutAt = -1;
    let sent = 0;
    const cut = f.readable.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, out) {
          if (sent >= limit) return out.terminate(); // fewer bytes than content-length: a cut transfer
          sent += chunk.length;
          out.enqueue(chunk);
        },
      }),
    );
    return new Response(cut, { status: m ? 206 : 200, headers });
  });
  const hubUrl = `http://127.0.0.1:${server.addr.port}`;
  const request = (cacheDir: string) => ({
    hubUrl,
    repo: "bench/model",
    commit: "0".repeat(40),
    path: "model.safetensors",
    size: bytes,
    etag: sha256,
    sha256,
    cacheDir,
    fetch: stallGuardedFetch(fetch, 30_000),
    retry: { attempts: 3, baseDelayMs: 1, sleep: () => Promise.resolve() },
  });
  try {
    let t = performance.now();
    await Deno.copyFile(source, join(dir, "copy.bin"));
    const copySeconds = (performance.now() - t) / 1000;
    await Deno.remove(join(dir, "copy.bin"));

    t = performance.now();
    const res = await fetch(`${hubUrl}/raw`);
    for await (const _ of res.body!) { /* dropped */ }
    const fetchSeconds = (performance.now() - t) / 1000;

    t = performance.now();
    await downloadHubFile(request(join(dir, "cold")));
    const downloadSeconds = (performance.now() - t) / 1000;
    await Deno.remove(join(dir, "cold"), { recursive: true });

    cutAt = Math.floor(bytes / 2);
    t = performance.now();
    const resumed = await downloadHubFile(request(join(dir, "resume")));
    const cutSeconds = (performance.now() - t) / 1000;
    await Deno.remove(join(dir, "resume"), { recursive: true });
    return { bytes, copySeconds, fetchSeconds, downloadSeconds, cutFetchedBytes: resumed.fetchedBytes, cutSeconds };
  } finally {
    await server.shutdown();
    await Deno.remove(source);
  }
}

async function writeRandomFile(path: string, size: number): Promise<string> {
  const block = new Uint8Array(8 << 20);
  for (let i = 0; i < block.length; i += 65536) crypto.getRandomValues(block.subarray(i, i + 65536));
  const hash = createHash("sha256");
  using f = await Deno.open(path, { create: true, write: true, truncate: true });
  for (let at = 0, n = 0; at < size; at += n) {
    n = Math.min(block.length, size - at);
    block[0] = at / block.length;
    hash.update(block.subarray(0, n));
    for (let w = 0; w < n;) w += await f.write(block.subarray(w, n));
  }
  return hash.digest("hex");
}
