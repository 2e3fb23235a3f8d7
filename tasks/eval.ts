/**
 * `deno task eval`: per-sequence losses of a local Hugging Face model on given token sequences.
 * The tokens file is a JSON array of equal-length integer arrays, read as untrusted input: a
 * regular file (or a pipe with `-`) under a size cap, at most `--max-rows` rows, every token a
 * non-negative integer below the model's vocabulary. Exit 0 on success, 1 on a rejected model or
 * bad input, 2 on bad flags; each with one line on stderr.
 */
import { checkAdapter, checkModel, createLossSession, evaluateLosses, formatReason } from "../eval/mod.ts";
import {
  defineCommand,
  evalFlags,
  flags,
  main,
  modelFlag,
  progress,
  rateLine,
  readInputJson,
  resolveModelFlag,
  UsageError,
} from "./cli/mod.ts";
import { withPseudogradApplied } from "./pseudograd/apply.ts";

export const command = defineCommand({
  name: "eval",
  summary: "Per-sequence next-token losses of a local Hugging Face model (safetensors) on a tokens file.",
  flags: {
    model: modelFlag("the model (config.json + safetensors)"),
    adapter: flags.path(
      "a PEFT LoRA/DoRA adapter directory applied to --model (adapter_config.json + adapter_model.safetensors)",
      {
        mustExist: "dir",
      },
    ),
    pseudograd: flags.path("a pseudograd-v1 submission applied to --model as θ − scale·decode(Δ)", {
      mustExist: "file",
    }),
    "pseudograd-scale": flags.number("the scale S of the applied pseudo-gradient", { default: 1, min: 0 }),
    window: flags.int("the window --pseudograd should name (a mismatch is warned about)"),
    tokens: flags.string("a JSON array of equal-length token-id arrays, or - for stdin", { placeholder: "<file|->" }),
    ...evalFlags(1),
    compute: flags.choice(
      "the network's compute type (the head and the loss are float32 always)",
      ["float32", "float16"] as const,
      {
        defaultText: "float32 on cpu, float16 on cuda and webgpu",
      },
    ),
    threads: flags.int("intra-op threads (default: ONNX Runtime's choice)", { min: 1, max: 1024 }),
    "max-rows": flags.int("refuse a tokens file with more rows", { default: 100_000, min: 1 }),
    "max-mb": flags.int("refuse a tokens file larger than this many MiB", { default: 512, min: 1 }),
    json: flags.boolean("print one JSON object (the last line of stdout)"),
  },
  examples: [
    "deno task eval --model .cache/fixtures/quality-bigram --tokens .cache/fixtures/tokens-128x8.json",
    "deno task eval --model ./my-model --tokens - --batch 4 --json < .cache/fixtures/tokens-128x8.json",
    "deno task eval --model .cache/demo-run/models/base --adapter ./my-lora --tokens .cache/fixtures/tokens-128x8.json",
    "deno task eval --model .cache/demo-run/models/base --pseudograd a.safetensors --pseudograd-scale 0.2 --tokens .cache/fixtures/tokens-128x8.json",
    { line: "deno task eval --model openai-community/gpt2 --tokens tokens.json", checkOnly: "downloads from the Hub" },
  ],
  check({ flags: f }) {
    if (!f.model) throw new UsageError("--model is required");
    if (!f.tokens) throw new UsageError("--tokens is required");
    if (f.pseudograd && f.adapter) throw new UsageError("give --adapter or --pseudograd, not both");
    if (!f.pseudograd && (f.window !== undefined || f["pseudograd-scale"] !== 1)) {
      throw new UsageError("--window and --pseudograd-scale go with --pseudograd");
    }
  },
  async run({ flags: f }) {
    const sequences = readTokens(
      await readInputJson(f.tokens!, { flag: "--tokens", maxBytes: f["max-mb"] * 2 ** 20 }),
      f["max-rows"],
    );
    const named = await resolveModelFlag(f.model!, { quiet: f.json });
    if (f.pseudograd) {
      const given = { file: f.pseudograd, scale: f["pseudograd-scale"], window: f.window };
      return await withPseudogradApplied(named.dir, given, (dir, label) => evaluate(dir, label));
    }
    return await evaluate(named.dir, named.commit ? named.label : undefined);

    async function evaluate(dir: string, label?: string) {
      const model = await checkModel(dir, { label });
      const vocab = model.spec.vocabSize;
      sequences.forEach((seq, i) => {
        const bad = seq.findIndex((t) => t >= vocab);
        if (bad >= 0) {
          throw new RangeError(
            `--tokens: sequence ${i} token ${bad} is ${seq[bad]}, outside the model's vocabulary of ${vocab}`,
          );
        }
      });
      if (sequences[0].length > model.spec.maxPositions) {
        throw new RangeError(
          `--tokens: sequences of ${
            sequences[0].length
          } tokens exceed the model's ${model.spec.maxPositions} positions`,
        );
      }
      const adapter = f.adapter ? await checkAdapter(f.adapter, model) : undefined;
      const session = await createLossSession(model, {
        adapter,
        device: f.device,
        compute: f.compute,
        maxSequenceLength: sequences[0].length,
        threads: f.threads,
        log: (m) => console.error(m),
      });
      const bar = progress({ intervalMs: 10_000 });
      const start = performance.now();
      let losses: number[];
      try {
        losses = await evaluateLosses(session, sequences, {
          batchSize: f.batch,
          onProgress: (done, total) =>
            bar.update(
              rateLine({
                what: "sequence",
                done,
                total,
                unitsPerItem: sequences[0].length,
                unit: "tokens",
                seconds: (performance.now() - start) / 1000,
              }),
            ),
        });
      } finally {
        bar.done();
        await session.release();
      }
      const seconds = (performance.now() - start) / 1000;
      const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
      if (f.json) {
        console.log(JSON.stringify({
          model: formatReason(model.label),
          adapter: adapter ? formatReason(adapter.label) : null,
          architecture: model.spec.architecture,
          parameters: model.parameterCount,
          device: session.device,
          compute: session.compute,
          losses,
          mean,
          loadMs: session.loadMs,
          seconds,
        }));
        return;
      }
      console.log(
        `${
          formatReason(model.label)
        }: ${model.spec.architecture}, ${model.parameterCount} parameters, ${session.device}, ${session.compute}`,
      );
      if (adapter) {
        const c = adapter.config;
        console.log(
          `  adapter ${formatReason(adapter.label)}: ${
            c.useDora ? "DoRA" : "LoRA"
          } r = ${c.rank}, scaling ${c.scaling}${
            c.useRslora ? " (rsLoRA)" : ""
          }, ${adapter.layers.size} layers, ${adapter.parameterCount} parameters`,
        );
      }
      losses.forEach((l, i) => console.log(`  sequence ${i}: ${l.toFixed(6)}`));
      console.log(
        `mean loss ${mean.toFixed(6)} over ${losses.length} sequences in ${seconds.toFixed(2)} s (load ${
          (session.loadMs / 1000).toFixed(2)
        } s)`,
      );
    }
  },
});

if (import.meta.main) await main(command);

/** The tokens file's shape, checked row by row; the first broken rule is the error. */
function readTokens(json: unknown, maxRows: number): number[][] {
  if (!Array.isArray(json) || json.length === 0) {
    throw new RangeError("--tokens must be a non-empty JSON array of arrays");
  }
  if (json.length > maxRows) throw new RangeError(`--tokens has ${json.length} rows, over --max-rows ${maxRows}`);
  const T = Array.isArray(json[0]) ? json[0].length : -1;
  if (T < 2) throw new RangeError("--tokens: each sequence needs at least 2 tokens (a loss predicts the next one)");
  json.forEach((seq, i) => {
    if (!Array.isArray(seq) || seq.length !== T || !seq.every((t) => Number.isSafeInteger(t) && t >= 0)) {
      throw new RangeError(`--tokens: sequence ${i} is not an array of ${T} non-negative integers`);
    }
  });
  return json as number[][];
}
