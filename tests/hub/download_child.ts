/**
 * A separate process that downloads one repo with HfModelStore, for the kill -9 and memory
 * tests: prints `{"bytes": n}` lines as bytes reach the disk, then one summary line with the
 * process's resident memory before and (at its peak) during the download. With a last argument
 * `meter`, it also prints each line the validator's download meter writes, as `{"line", "at"}`.
 * Usage: deno run -A download_child.ts <hubUrl> <repo> <commit> <path> <cacheDir> <stallMs> [meter]
 *
 * It imports the Hub store alone: the product's front door also loads ONNX Runtime's native
 * library, whose global destructors can fault after the last line (exit 139, seen once in ten
 * full-suite runs), and a download needs none of it.
 */
import { downloadMeter } from "../../src/hub/download_meter.ts";
import { HfModelStore } from "../../src/hub/hf_store.ts";

const [hubUrl, repo, commit, path, cacheDir, stallMs, meter] = Deno.args;
const meterLine = meter === "meter"
  ? downloadMeter({ emit: (line) => console.log(JSON.stringify({ line, at: performance.now() })), intervalMs: 500 })
  : undefined;
const store = new HfModelStore({ hubUrl, stallMs: Number(stallMs), retry: { attempts: 10 } });
const baseline = Deno.memoryUsage().rss;
let peak = baseline, lastPrint = 0;
const sampler = setInterval(() => (peak = Math.max(peak, Deno.memoryUsage().rss)), 50);
const started = performance.now();
const result = await store.download({
  repo,
  commit,
  paths: [path],
  cacheDir,
  onProgress: (p) => {
    meterLine?.(p);
    peak = Math.max(peak, Deno.memoryUsage().rss);
    if (performance.now() - lastPrint > 100 || p.bytes === p.totalBytes) {
      lastPrint = performance.now();
      console.log(JSON.stringify({ bytes: p.bytes, total: p.totalBytes }));
    }
  },
});
clearInterval(sampler);
console.log(JSON.stringify({
  done: true,
  at: performance.now(),
  seconds: (performance.now() - started) / 1000,
  fetchedBytes: result.fetchedBytes,
  rssBaseline: baseline,
  rssPeak: peak,
}));
