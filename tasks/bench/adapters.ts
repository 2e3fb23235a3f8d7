/**
 * `bench --adapters`: what an adapter step costs against a full-model step on the same bench
 * base: the base checked, loaded and scored once plus N random adapters, against N full models.
 */
import { type AdapterStepBench, benchAdapterStep, type EvalTiming } from "../../eval/bench/mod.ts";
import { writeRandomAdapter } from "../../fixtures/adapters.ts";
import { ensureBenchModel } from "../../fixtures/bench_models.ts";

/** The run's shape: where bench models live, the sequences scored, and the engine's settings. */
export interface AdapterBenchOptions {
  cache: string;
  /** Sequences scored per entry. */
  reps: number;
  seq: number;
  batch: number;
  threads?: number;
  /** Also print the raw timings as one JSON object. */
  json: boolean;
}

/** Times an adapter step of `count` random adapters on bench model `name` and prints the comparison. */
export async function benchAdapters(name: string, count: number, o: AdapterBenchOptions): Promise<void> {
  const base = await ensureBenchModel(name, o.cache);
  const config = JSON.parse(await Deno.readTextFile(`${base}/config.json`));
  const root = await Deno.makeTempDir({ dir: o.cache, prefix: "adapters-" });
  try {
    const dirs = await writeAdapters(root, config, count);
    const vocab = config.vocab_size as number;
    const sequences = Array.from(
      { length: o.reps },
      (_, s) => Array.from({ length: o.seq }, (_, i) => (i * 7919 + s * 104729) % vocab),
    );
    const r = await benchAdapterStep(base, dirs, sequences, { threads: o.threads, batchSize: o.batch });
    console.log(
      `adapter step on ${name}: ${o.reps} sequences × ${o.seq} tokens, ${count} adapters (r = 16, every linear layer; odd ones DoRA)`,
    );
    printAdapterStep(r, count);
    if (o.json) console.log(JSON.stringify(r));
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

/** Writes `count` random adapters for the base's `config` under `root`; returns their directories. */
async function writeAdapters(root: string, config: Record<string, unknown>, count: number): Promise<string[]> {
  const dirs = [];
  for (let i = 0; i < count; i++) {
    const dir = `${root}/adapter-${i}`;
    // LoRA r = 16 on every linear layer; every other one DoRA.
    await writeRandomAdapter(dir, config, {
      rank: 16,
      alpha: 32,
      targets: "all-linear",
      seed: 100 + i,
      dora: i % 2 === 1,
      std: 0.01,
    });
    dirs.push(dir);
  }
  return dirs;
}

/** Each entry's timing, then the whole step and one more entry, adapters against full models. */
function printAdapterStep(r: AdapterStepBench, count: number): void {
  const sum = (t: EvalTiming) => t.checkMs + t.loadMs + t.computeMs;
  const fmt = (t: EvalTiming) =>
    `check ${t.checkMs.toFixed(0)} ms, load ${t.loadMs.toFixed(0)} ms, compute ${t.computeMs.toFixed(0)} ms (${
      (r.tokens / (t.computeMs / 1000)).toFixed(0)
    } tokens/s)`;
  console.log(`  base, once per step        ${fmt(r.base)}`);
  r.adapters.forEach((a, i) =>
    console.log(`  adapter ${i} (${i % 2 ? "DoRA" : "LoRA"}, ${(a.parameters / 1e6).toFixed(2)}M)  ${fmt(a)}`)
  );
  r.fullModels.forEach((m, i) => console.log(`  full model ${i}               ${fmt(m)}`));
  const adapterStep = sum(r.base) + r.adapters.reduce((n, a) => n + sum(a), 0);
  const fullStep = r.fullModels.reduce((n, m) => n + sum(m), 0);
  console.log(
    `  step: base once + ${count} adapters ${(adapterStep / 1000).toFixed(2)} s; ${count} full models ${
      (fullStep / 1000).toFixed(2)
    } s (${(adapterStep / fullStep).toFixed(2)}×)`,
  );
  const perAdapter = r.adapters.reduce((n, a) => n + sum(a), 0) / r.adapters.length;
  const perModel = fullStep / r.fullModels.length;
  console.log(
    `  one more entry costs: an adapter ${(perAdapter / 1000).toFixed(2)} s, a full model ${
      (perModel / 1000).toFixed(2)
    } s (${(perAdapter / perModel).toFixed(2)}×)`,
  );
}
