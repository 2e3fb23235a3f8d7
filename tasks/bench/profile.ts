/**
 * `bench --profile`: where each bench model's run time goes, by ONNX operator type, instead of
 * the benchmark.
 */
import { profileOps } from "../../eval/bench/mod.ts";
import { ensureBenchModel } from "../../fixtures/bench_models.ts";

/** Prints each model's kernel time per run and its ten costliest operator types. */
export async function profileModels(
  names: string[],
  cache: string,
  options: { sequenceLength: number; threads?: number },
): Promise<void> {
  for (const name of names) {
    const ops = await profileOps(await ensureBenchModel(name, cache), options);
    const total = ops.reduce((n, o) => n + o.msPerRun, 0);
    console.log(`${name}: ${total.toFixed(0)} ms per run in kernels`);
    for (const o of ops.slice(0, 10)) {
      console.log(
        `  ${o.op.padEnd(24)} ${o.msPerRun.toFixed(1).padStart(8)} ms  ${
          (100 * o.msPerRun / total).toFixed(1).padStart(5)
        }%`,
      );
    }
  }
}
