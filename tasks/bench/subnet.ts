/**
 * `bench --subnet N`: N steps of a simulated 256-uid subnet (./subnet_sim.ts) with the
 * validator's budget rules and with "evaluate everything", on 1, 2, 4 and 8 workers. The cost
 * model's rate is this engine's measured forward FLOP/s on GPT-2-small (or `--gflops`); it prints
 * its assumptions, a row per step and, per run, the time from a commitment to its first evaluation.
 */
import { SN9_BUDGET } from "../../src/mod.ts";
import { type ModelBenchResult } from "../../eval/bench/mod.ts";
import { benchInChildren } from "./children.ts";
import { type SimRun, simulateSubnet, SN9_CLASSES, type SubnetSimOptions } from "./subnet_sim.ts";

const WORKERS = [1, 2, 4, 8];

/** How the rate is found: given, or measured with the engine benchmark's child. */
export interface SubnetBenchOptions {
  steps: number;
  gflops?: number;
  script: string;
  cache: string;
  threads?: number;
}

/** Runs the simulations and prints the table. */
export async function benchSubnet(o: SubnetBenchOptions): Promise<void> {
  let flopsPerSecond: number, source: string;
  if (o.gflops !== undefined) {
    flopsPerSecond = o.gflops * 1e9;
    source = "given with --gflops";
  } else {
    console.log("measuring this engine's forward rate on gpt2-small (seq 1024) …");
    const r: ModelBenchResult = (await benchInChildren(["gpt2-small"], {
      script: o.script,
      cache: o.cache,
      seq: 1024,
      batch: 1,
      reps: 3,
      threads: o.threads,
    })).results[0];
    flopsPerSecond = r.tokensPerSecond * r.flopsPerToken;
    source = `measured: gpt2-small ${r.tokensPerSecond.toFixed(0)} tokens/s × ${
      (r.flopsPerToken / 1e9).toFixed(2)
    } GFLOP/token`;
  }
  const base: Omit<SubnetSimOptions, "rule" | "workers"> = {
    steps: o.steps,
    budget: SN9_BUDGET,
    classes: SN9_CLASSES,
    flopsPerSecond,
    evalTokens: 64 * 4096,
    loadBytesPerSecond: 1e9,
    horizonBlocks: 7200,
    evalBlockDelay: 1200,
    seed: 9,
  };
  console.log("assumptions:");
  console.log(`  one worker's forward rate   ${(flopsPerSecond / 1e12).toFixed(3)} TFLOP/s (${source})`);
  console.log(
    `  one evaluation              2 × parameters × ${base.evalTokens} tokens, plus loading 2 bytes a parameter at 1 GB/s`,
  );
  for (const c of base.classes) {
    const s = (2 * c.parameters) / base.loadBytesPerSecond + (2 * c.parameters * base.evalTokens) / flopsPerSecond;
    console.log(
      `  ${c.name.padEnd(5)} model                 ${duration(s)} per evaluation (reward share ${c.rewardShare})`,
    );
  }
  console.log(
    `  subnet                      255 miners, 1–3 commitments each over ${base.horizonBlocks} blocks (a day), delay ${base.evalBlockDelay} blocks`,
  );
  console.log(
    `  budget                      sample_min ${SN9_BUDGET.sampleMin}, updated_models_limit ${SN9_BUDGET.updatedModelsLimit}, revisit ${SN9_BUDGET.revisitBlocks} blocks; one validator, so no top-miner queueing`,
  );
  console.log("  the per-model time limit is not applied: every model takes its class's time");
  const runs = new Map<string, SimRun>();
  for (const rule of ["budget", "everything"] as const) {
    for (const workers of WORKERS) runs.set(`${rule}/${workers}`, simulateSubnet({ ...base, rule, workers }));
  }
  for (const rule of ["budget", "everything"] as const) {
    console.log(`\n${rule === "budget" ? "SN9's budget" : "evaluate everything"}: models evaluated / step time`);
    console.log(["step", "competition", ...WORKERS.map((w) => `${w} worker${w > 1 ? "s" : ""}`)].map(pad).join(""));
    for (let i = 0; i < o.steps; i++) {
      const first = runs.get(`${rule}/1`)!.steps[i];
      const cells = WORKERS.map((w) => {
        const s = runs.get(`${rule}/${w}`)!.steps[i];
        return `${s.models} / ${duration(s.seconds)}`;
      });
      console.log([String(i + 1), first.competition, ...cells].map(pad).join(""));
    }
  }
  console.log("\nper run (latency: from the end of a commitment's delay to the end of its first evaluation)");
  console.log(
    ["run", "simulated time", "models/step", "max/step", "latency p50", "latency p90", "latency max", "never evaluated"]
      .map(pad).join(""),
  );
  for (const [key, run] of runs) {
    const total = run.steps.reduce((a, s) => a + s.seconds, 0);
    const models = run.steps.map((s) => s.models);
    const lat = [...run.latencies].sort((a, b) => a - b);
    const mean = models.reduce((a, b) => a + b, 0) / models.length;
    console.log(
      [
        key,
        duration(total),
        mean.toFixed(1),
        String(Math.max(...models)),
        duration(quantile(lat, 0.5)),
        duration(quantile(lat, 0.9)),
        duration(lat.at(-1) ?? NaN),
        String(run.neverEvaluated),
      ].map(pad).join(""),
    );
  }
  console.log("(never evaluated: miners whose latest commitment was past its delay at the end and never evaluated)");
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function pad(s: string): string {
  return s.padEnd(18);
}

/** Seconds as "42 s", "12 min", "3.4 h". */
function duration(s: number): string {
  if (!Number.isFinite(s)) return "—";
  if (s < 120) return `${s.toFixed(0)} s`;
  if (s < 7200) return `${(s / 60).toFixed(0)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
