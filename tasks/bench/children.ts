/**
 * The engine benchmark's models, each measured in a child process (`bench --child`) so that
 * peak memory is that model's alone, with the size of its weights files for the load rate.
 */
import type { ModelBenchResult } from "../../eval/bench/mod.ts";
import { ensureBenchModel } from "../../fixtures/bench_models.ts";

/** The bench script to re-run as the child, and the flags it passes on. */
export interface ChildRunOptions {
  /** Path of `tasks/bench.ts`, which measures one model when given `--child`. */
  script: string;
  cache: string;
  seq: number;
  batch: number;
  reps: number;
  threads?: number;
  /** Where a line goes as each model starts (the report itself waits for them all). */
  log?: (line: string) => void;
}

/** What the children measured, and each model's weights-file bytes keyed by model name. */
export interface ChildRuns {
  results: ModelBenchResult[];
  fileBytes: Map<string, number>;
}

/** Generates each of `models` (outside the timed child), then benchmarks it in a child process. */
export async function benchInChildren(models: string[], o: ChildRunOptions): Promise<ChildRuns> {
  const results: ModelBenchResult[] = [];
  const fileBytes = new Map<string, number>();
  for (const name of models) {
    const dir = await ensureBenchModel(name, o.cache);
    fileBytes.set(name, await weightsBytes(dir));
    results.push(await runChild(name, o));
  }
  return { results, fileBytes };
}

/** Total size of the model's safetensors files. */
async function weightsBytes(dir: string): Promise<number> {
  let bytes = 0;
  for await (const e of Deno.readDir(dir)) {
    if (e.name.endsWith(".safetensors")) bytes += (await Deno.stat(`${dir}/${e.name}`)).size;
  }
  return bytes;
}

/** Runs `script --child=<name>` and parses the JSON on its last line of output. */
async function runChild(name: string, o: ChildRunOptions): Promise<ModelBenchResult> {
  const args = [
    "run",
    "-A",
    o.script,
    `--child=${name}`,
    `--seq=${o.seq}`,
    `--batch=${o.batch}`,
    `--reps=${o.reps}`,
    `--cache=${o.cache}`,
  ];
  if (o.threads) args.push(`--threads=${o.threads}`);
  o.log?.(
    `measuring ${name}: header check, 2 session builds, 2 warm-ups and ${o.reps} timed runs of each path (B=${o.batch} T=${o.seq}) …`,
  );
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "inherit" }).output();
  if (!out.success) {
    throw new Error(`${name} failed (exit ${out.code})`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
}
