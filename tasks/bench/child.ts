/**
 * `bench --child`: the child side of the engine benchmark. One model measured in a process of
 * its own, so the peak memory reported is that model's alone; the parent reads the JSON line.
 */
import { benchModel, type ModelBenchOptions } from "../../eval/bench/mod.ts";
import { ensureBenchModel } from "../../fixtures/bench_models.ts";

/** Benchmarks bench model `name` in this process and prints the result as one JSON line. */
export async function benchChild(name: string, cache: string, options: ModelBenchOptions): Promise<void> {
  const dir = await ensureBenchModel(name, cache);
  const result = await benchModel(dir, options);
  console.log(JSON.stringify(result));
}
