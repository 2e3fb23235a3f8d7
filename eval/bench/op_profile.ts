/**
 * Where a model's run time goes: ONNX Runtime's profiler over several runs, summed by operator
 * type. The first run (page faults, allocations) is excluded.
 */
import { INPUT_IDS } from "../compile.ts";
import { checkModel } from "../model.ts";
import { openSession, toInputIds } from "../session.ts";

/** Milliseconds per run spent in each operator type, largest first. */
export async function profileOps(
  dir: string,
  options: { sequenceLength?: number; runs?: number; threads?: number } = {},
): Promise<{ op: string; msPerRun: number }[]> {
  const T = options.sequenceLength ?? 1024, runs = options.runs ?? 4;
  const model = await checkModel(dir, { scanWeights: false });
  const prefix = await Deno.makeTempFile({ prefix: "ort-profile-" });
  const { session } = await openSession(model, {
    maxSequenceLength: T,
    threads: options.threads,
    profilePrefix: prefix,
  }, "loss");
  const ids = Array.from({ length: T }, (_, i) => (i * 7919) % model.spec.vocabSize);
  const feeds = { [INPUT_IDS]: toInputIds([ids], model.spec.vocabSize, T) };
  for (let i = 0; i <= runs; i++) await session.run(feeds);
  session.endProfiling();
  await session.release();
  const dirName = prefix.slice(0, prefix.lastIndexOf("/"));
  const base = prefix.slice(prefix.lastIndexOf("/") + 1);
  const files = [...Deno.readDirSync(dirName)].filter((e) => e.name.startsWith(base) && e.name.endsWith(".json"));
  const events: { cat?: string; name: string; dur: number; args?: { op_name?: string } }[] = JSON.parse(
    await Deno.readTextFile(`${dirName}/${files[0].name}`),
  );
  for (const f of files) await Deno.remove(`${dirName}/${f.name}`);
  await Deno.remove(prefix);
  // Each run's node events precede its model_run event; drop the first run's (warm-up).
  const runStarts = events.filter((e) => e.name === "model_run").map((e) => events.indexOf(e));
  const kept = events.slice(runStarts[0] + 1);
  const totals = new Map<string, number>();
  for (const e of kept) {
    if (e.cat === "Node" && e.name.endsWith("_kernel_time") && e.args?.op_name) {
      totals.set(e.args.op_name, (totals.get(e.args.op_name) ?? 0) + e.dur);
    }
  }
  return [...totals].map(([op, us]) => ({ op, msPerRun: us / 1000 / runs })).sort((a, b) => b.msPerRun - a.msPerRun);
}
