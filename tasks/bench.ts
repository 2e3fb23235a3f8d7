/**
 * `deno task bench`: engine benchmark on a GPT-2-small shape and a Llama GQA shape with random
 * weights. Measures the peak MatMul rate first, then each model in a child process (so peak
 * memory is that model's alone), and prints tokens/s, FLOP/s, MFU, load time, memory, and the
 * in-graph loss against the logits-out path.
 */
import { peakMatmulGflops } from "../eval/bench/mod.ts";
import { BENCH_MODELS } from "../fixtures/bench_models.ts";
import { benchAdapters } from "./bench/adapters.ts";
import { benchChild } from "./bench/child.ts";
import { benchInChildren } from "./bench/children.ts";
import { benchDataPath } from "./bench/data.ts";
import { benchDownloadPath } from "./bench/download.ts";
import { printEngineReport } from "./bench/engine_report.ts";
import { peakShapes } from "./bench/peak_shapes.ts";
import { profileModels } from "./bench/profile.ts";
import { benchSubnet } from "./bench/subnet.ts";
import { benchLanes } from "./bench/lanes.ts";
import { benchPseudograd } from "./bench/pseudograd.ts";
import { defineCommand, flags as flag, main, UsageError, type Values } from "./cli/mod.ts";

const benchFlags = {
  models: flag.string(`comma-separated bench models (${Object.keys(BENCH_MODELS).join(", ")})`, {
    default: "gpt2-small,llama-gqa",
  }),
  seq: flag.int("sequence length", { default: 1024, min: 2 }),
  batch: flag.int("batch size", { default: 1, min: 1 }),
  reps: flag.int("timed runs per model", { default: 5, min: 1 }),
  threads: flag.int("intra-op threads", { min: 1 }),
  cache: flag.path("where bench models are generated", { default: ".cache/bench" }),
  json: flag.boolean("also print the results as one JSON object"),
  profile: flag.boolean("per-operator profile instead of the benchmark"),
  data: flag.int("time N Falcon pages through tokenization and packing instead", { min: 1, max: 1000 }),
  download: flag.int("time a download of N MiB from a loopback server against a file copy instead", {
    min: 1,
    max: 65536,
  }),
  adapters: flag.int(
    "time an adapter step on the first --models base: the base once and N adapters, against N full models",
    {
      min: 1,
      max: 64,
    },
  ),
  subnet: flag.int("simulate N steps of a 256-uid subnet: SN9's budget against evaluating everything, 1–8 workers", {
    min: 3,
    max: 3000,
  }),
  lanes: flag.int("time one validator step over N models on one CPU lane, then on two sharing the cores", {
    min: 1,
    max: 64,
  }),
  pseudograd: flag.int(
    "time N evaluated peers of a pseudo-gradient window on the first --models base, against a plain evaluation",
    { min: 1, max: 64 },
  ),
  gflops: flag.int("with --subnet: one worker's forward rate in GFLOP/s (default: measured on gpt2-small)", { min: 1 }),
  child: flag.string("internal: benchmark one model in this process and print its JSON"),
};

const MINUTES = "a benchmark of a minute or more on two cores";

export const command = defineCommand({
  name: "bench",
  summary:
    "Benchmarks: the engine on GPT-2-small and Llama shapes (default), the data pipeline (--data), the download path (--download), an adapter step (--adapters), a step on one and two workers (--lanes), a simulated subnet (--subnet), evaluated peers of a pseudo-gradient window (--pseudograd).",
  flags: benchFlags,
  examples: [
    { line: "deno task bench", checkOnly: MINUTES },
    { line: "deno task bench --models gpt2-small --seq 512", checkOnly: MINUTES },
    "deno task bench --data 20",
    "deno task bench --subnet 60 --gflops 100000",
    { line: "deno task bench --lanes 4", checkOnly: MINUTES },
    { line: "deno task bench --download 1024", checkOnly: "writes and reads 1 GiB over loopback" },
    { line: "deno task bench --models gpt2-small --adapters 4 --seq 512 --reps 4", checkOnly: MINUTES },
    { line: "deno task bench --models gpt2-small --pseudograd 2 --seq 256 --reps 8", checkOnly: MINUTES },
  ],
  check({ flags: f }) {
    for (const m of f.models.split(",")) {
      if (!(m in BENCH_MODELS)) {
        throw new UsageError(
          `--models: unknown model ${JSON.stringify(m).slice(0, 40)}; known: ${Object.keys(BENCH_MODELS).join(", ")}`,
        );
      }
    }
  },
  async run({ flags: f }) {
    await bench(f);
  },
});

if (import.meta.main) await main(command);

/** Runs the mode the flags pick; with none, the engine benchmark. */
async function bench(flags: Values<typeof benchFlags>): Promise<void> {
  const { seq, batch, reps, threads, cache, json } = flags;
  const models = flags.models.split(",");
  if (flags.download) return await benchDownloadPath(flags.download, json);
  if (flags.data) return await benchDataPath(flags.data, seq);
  if (flags.lanes) return await benchLanes(flags.lanes, { cache });
  if (flags.subnet) {
    return await benchSubnet({
      steps: flags.subnet,
      gflops: flags.gflops,
      script: import.meta.filename!,
      cache,
      threads,
    });
  }
  if (flags.pseudograd) {
    return await benchPseudograd(models[0], flags.pseudograd, { cache, seq, batch, reps, threads, json });
  }
  if (flags.adapters) return await benchAdapters(models[0], flags.adapters, { cache, reps, seq, batch, threads, json });
  if (flags.profile) return await profileModels(models, cache, { sequenceLength: seq, threads });
  if (flags.child) {
    return await benchChild(flags.child, cache, { sequenceLength: seq, batchSize: batch, reps, threads });
  }

  // The peak is measured before and after the models and the best is kept: a peak taken during a
  // noisy moment would flatter MFU.
  const shapes = peakShapes(models, seq);
  const log = (line: string) => console.error(line);
  log("measuring the peak float32 MatMul rate (before the models) …");
  const before = await peakMatmulGflops({ threads, shapes });
  const runs = await benchInChildren(models, { script: import.meta.filename!, cache, seq, batch, reps, threads, log });
  log("measuring the peak float32 MatMul rate (after the models) …");
  const after = await peakMatmulGflops({ threads, shapes });
  printEngineReport({ before, after }, runs, json);
}
