/**
 * The engine benchmark's report: the peak MatMul rate, then per model its throughput, FLOP/s,
 * MFU against that peak, check and load times, memory, and the in-graph loss against the
 * logits-out path.
 */
import { median, type ModelBenchResult } from "../../eval/bench/mod.ts";
import type { ChildRuns } from "./children.ts";

/** A `peakMatmulGflops` measurement: the best rate and the (M, K, N) product that reached it. */
export interface PeakMeasurement {
  gflops: number;
  shape: [number, number, number];
}

/** Prints the report from the peaks taken `before` and `after` the models; with `json`, also the raw results. */
export function printEngineReport(
  { before, after }: { before: PeakMeasurement; after: PeakMeasurement },
  { results, fileBytes }: ChildRuns,
  json: boolean,
): void {
  const { gflops: peak, shape } = after.gflops > before.gflops ? after : before;
  console.log(
    `engine benchmark: ${navigator.hardwareConcurrency} threads, peak float32 MatMul ${peak.toFixed(1)} GFLOP/s ` +
      `(best of before ${before.gflops.toFixed(1)} and after ${after.gflops.toFixed(1)}; shape ${shape.join("×")})`,
  );
  for (const r of results) printModel(r, fileBytes.get(r.model) ?? 0, peak);
  if (json) console.log(JSON.stringify({ peakGflops: peak, results }));
}

/** One model's block of the report; `bytes` is its weights files' size, `peak` the MatMul GFLOP/s. */
function printModel(r: ModelBenchResult, bytes: number, peak: number): void {
  const line = (label: string, value: string) => console.log(`${label.padEnd(34)} ${value}`);
  const achieved = r.tokensPerSecond * r.flopsPerToken / 1e9;
  const achievedNonEmb = r.tokensPerSecond * r.nonEmbeddingFlopsPerToken / 1e9;
  console.log(
    `\n${r.model} (${r.architecture}, ${
      (r.parameters / 1e6).toFixed(1)
    }M parameters, B=${r.batchSize} T=${r.sequenceLength})`,
  );
  // Each timed run gives a rate; the spread over the runs says how far one figure can be trusted.
  const rates = r.runMs.map((ms) => (r.batchSize * r.sequenceLength) / (ms / 1000));
  const mfu = (tokensPerSecond: number) => (100 * tokensPerSecond * r.flopsPerToken / 1e9) / peak;
  const spread = (xs: number[], f: (x: number) => string) =>
    `min ${f(Math.min(...xs))} / median ${f(median(xs))} / max ${f(Math.max(...xs))} over ${xs.length} runs`;
  line("  tokens/s (in-graph loss)", spread(rates, (x) => x.toFixed(0)));
  line("  achieved GFLOP/s", `${achieved.toFixed(1)} (${(r.flopsPerToken / 1e6).toFixed(0)} MFLOP/token incl. head)`);
  line("  MFU vs peak MatMul", spread(rates.map(mfu), (x) => `${x.toFixed(1)}%`));
  line("  MFU, head excluded (median)", `${(100 * achievedNonEmb / peak).toFixed(1)}%`);
  line("  header check + NaN scan", `${r.checkMs.toFixed(0)} ms`);
  const gb = bytes / 1e9, f32 = r.parameters * 4;
  line("  session build (load), each", r.loadMs.map((x) => `${x.toFixed(0)} ms`).join(", "));
  line(
    "  load per GB of weights file",
    `${(Math.min(...r.loadMs) / 1000 / gb).toFixed(2)} s/GB (${gb.toFixed(2)} GB)`,
  );
  line("  run times", r.runMs.map((x) => `${x.toFixed(0)} ms`).join(", "));
  line(
    "  peak memory (RSS)",
    `${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB (${(r.peakRssBytes / f32).toFixed(2)}× the float32 weights)`,
  );
  line(
    "  logits-out path tokens/s",
    `${r.logitsTokensPerSecond.toFixed(0)} (in-graph is ${
      (r.tokensPerSecond / r.logitsTokensPerSecond).toFixed(2)
    }× faster; losses agree to ${r.pathsMaxDiff.toExponential(1)})`,
  );
}
