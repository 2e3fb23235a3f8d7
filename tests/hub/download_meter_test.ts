/**
 * The download progress a validator's log shows: nothing for a model reused from the cache; one
 * line for a fast local copy, with no rate or ETA measured over a few bytes; on a slow download,
 * a line per interval whose ETA follows the bytes moved (reused files not counted as moved).
 */
import assert from "node:assert/strict";
import { downloadMeter } from "../../src/mod.ts";

/** A meter on a fake clock: `at(ms)` moves it. */
function meter(intervalMs = 10_000) {
  let t = 0;
  const lines: string[] = [];
  const onProgress = downloadMeter({ emit: (l) => lines.push(l), intervalMs, now: () => t });
  return { lines, onProgress, at: (ms: number) => (t = ms) };
}

/** A 4.9 MB model: config.json, then the weights completing the set. */
function smallModel(m: ReturnType<typeof meter>, o: { reused?: boolean; at: [number, number] }) {
  const total = 4_900_268, reused = o.reused;
  m.at(o.at[0]);
  m.onProgress({ path: "config.json", fileBytes: 268, fileSize: 268, bytes: 268, totalBytes: total, reused });
  m.at(o.at[1]);
  m.onProgress({
    path: "model.safetensors",
    fileBytes: 4.9e6,
    fileSize: 4.9e6,
    bytes: total,
    totalBytes: total,
    reused,
  });
}

Deno.test("downloadMeter() gives a model reused from the cache one line, with no rate", () => {
  const m = meter();
  smallModel(m, { reused: true, at: [0, 5] });
  assert.deepEqual(m.lines, ["cached (4.9 MB)"]);
});

Deno.test("downloadMeter() gives a fast local copy one line, without a rate measured over a few bytes", () => {
  const m = meter();
  smallModel(m, { at: [2, 40] });
  assert.deepEqual(m.lines, ["downloaded 4.9 MB in 0.0 s"]);
});

Deno.test("downloadMeter() on a slow download: a line per interval, the ETA from the bytes moved since the start", () => {
  const m = meter(10_000);
  // 1 GB reused, then 2 GB to move at 10 MB/s.
  m.onProgress({ path: "a.safetensors", fileBytes: 1e9, fileSize: 1e9, bytes: 1e9, totalBytes: 3e9, reused: true });
  m.at(5_000);
  m.onProgress({ path: "b.safetensors", fileBytes: 5e7, fileSize: 2e9, bytes: 1.05e9, totalBytes: 3e9 });
  assert.equal(m.lines.length, 0, "no line before the first interval");
  m.at(10_000);
  m.onProgress({ path: "b.safetensors", fileBytes: 1e8, fileSize: 2e9, bytes: 1.1e9, totalBytes: 3e9 });
  // 100 MB in 10 s is 10 MB/s; 1.9 GB left is 190 s, shown as 3 min.
  assert.deepEqual(m.lines, [
    "b.safetensors 100.0 MB of 2.0 GB (5%); all files 1.1 GB of 3.0 GB, 10.0 MB/s, ETA 3 min",
  ]);
  m.at(200_000);
  m.onProgress({ path: "b.safetensors", fileBytes: 2e9, fileSize: 2e9, bytes: 3e9, totalBytes: 3e9 });
  assert.equal(m.lines[1], "downloaded 2.0 GB (1.0 GB reused from the cache) in 200.0 s, 10.0 MB/s");
});
