/**
 * Benchmarks one model: header checks, session build, in-graph-loss throughput, the naive
 * logits-out path on the same input, FLOPs, and peak resident memory of this process.
 */
import { type CheckedModel, checkModel } from "../model.ts";
import { INPUT_IDS, OUTPUT_LOGITS } from "../compile.ts";
import { createLossSession, openSession, toInputIds } from "../session.ts";

/** Options for one model's benchmark. */
export interface ModelBenchOptions {
  sequenceLength?: number;
  batchSize?: number;
  /** Timed runs after two warm-ups; throughput uses the median. */
  reps?: number;
  /** Session builds to time (the first is usually the slowest). */
  loads?: number;
  threads?: number;
}

/** Everything measured, in plain numbers. */
export interface ModelBenchResult {
  model: string;
  architecture: string;
  parameters: number;
  sequenceLength: number;
  batchSize: number;
  checkMs: number;
  loadMs: number[];
  runMs: number[];
  tokensPerSecond: number;
  flopsPerToken: number;
  nonEmbeddingFlopsPerToken: number;
  peakRssBytes: number;
  logitsRunMs: number[];
  logitsTokensPerSecond: number;
  /** Largest |in-graph − JS| loss difference between the two paths. */
  pathsMaxDiff: number;
}

/** Runs the benchmark for the model in `dir`. */
export async function benchModel(dir: string, options: ModelBenchOptions = {}): Promise<ModelBenchResult> {
  const T = options.sequenceLength ?? 1024, B = options.batchSize ?? 1, reps = options.reps ?? 5;
  let t = performance.now();
  const model = await checkModel(dir);
  const checkMs = performance.now() - t;
  const sessionOptions = { maxSequenceLength: T, threads: options.threads };

  const loadMs: number[] = [];
  for (let i = 1; i < (options.loads ?? 3); i++) {
    const s = await createLossSession(model, sessionOptions);
    loadMs.push(s.loadMs);
    await s.release();
  }
  const session = await createLossSession(model, sessionOptions);
  loadMs.push(session.loadMs);

  const batch = Array.from(
    { length: B },
    (_, b) => Array.from({ length: T }, (_, i) => (i * 7919 + b * 104729) % model.spec.vocabSize),
  );
  const { losses } = await session.run(batch);
  await session.run(batch); // a second warm-up: the first timed run was often an outlier
  const runMs: number[] = [];
  for (let i = 0; i < reps; i++) {
    t = performance.now();
    await session.run(batch);
    runMs.push(performance.now() - t);
  }
  await session.release();
  const peakRssBytes = peakRss();

  const { session: logitsSession } = await openSession(model, sessionOptions, "logits");
  const feeds = { [INPUT_IDS]: toInputIds(batch, model.spec.vocabSize, T) };
  const logitsRunMs: number[] = [];
  let pathsMaxDiff = 0;
  for (let i = 0; i <= reps; i++) {
    t = performance.now();
    const out = await logitsSession.run(feeds);
    const jsLosses = lossFromLogits(out[OUTPUT_LOGITS].data as Float32Array, batch, model.spec.vocabSize);
    if (i > 0) logitsRunMs.push(performance.now() - t); // the first run is the warm-up
    pathsMaxDiff = Math.max(pathsMaxDiff, ...jsLosses.map((l, b) => Math.abs(l - losses[b])));
  }
  await logitsSession.release();

  const flops = flopsPerToken(model, T);
  return {
    model: model.label,
    architecture: model.spec.architecture,
    parameters: model.parameterCount,
    sequenceLength: T,
    batchSize: B,
    checkMs,
    loadMs,
    runMs,
    tokensPerSecond: (B * T) / (median(runMs) / 1000),
    ...flops,
    peakRssBytes,
    logitsRunMs,
    logitsTokensPerSecond: (B * T) / (median(logitsRunMs) / 1000),
    pathsMaxDiff,
  };
}

/**
 * Forward FLOPs per token, PaLM-style: 2 per weight used in a matrix product (output head
 * included, embedding lookups excluded) + 4·layers·T·d_attn for QKᵀ and attention·V at full length.
 * `nonEmbeddingFlopsPerToken` leaves the output head out (the narrower count, ≈ 2·non-embedding parameters per token, that MFU figures often quote).
 */
export function flopsPerToken(
  model: CheckedModel,
  T: number,
): { flopsPerToken: number; nonEmbeddingFlopsPerToken: number } {
  const s = model.spec;
  let embedding = 0;
  for (const [name, ref] of model.params) {
    if (/(wte|wpe|embed_tokens)\.weight$/.test(name)) embedding += ref.shape.reduce((a, b) => a * b, 1);
  }
  const head = s.vocabSize * s.hiddenSize;
  const body = model.parameterCount - embedding - (s.tieWordEmbeddings ? 0 : head);
  const dAttn = "headDim" in s ? (s.headDim as number) * s.numHeads : s.hiddenSize;
  const attention = 4 * s.numLayers * T * dAttn;
  return { flopsPerToken: 2 * (body + head) + attention, nonEmbeddingFlopsPerToken: 2 * body + attention };
}

/** The naive path's loss: log-softmax and pick in JS from (B, T, V) logits. */
export function lossFromLogits(logits: Float32Array, batch: number[][], V: number): number[] {
  return batch.map((seq, b) => {
    const T = seq.length;
    let total = 0;
    for (let t = 0; t + 1 < T; t++) {
      const base = (b * T + t) * V;
      let max = -Infinity;
      for (let v = 0; v < V; v++) max = Math.max(max, logits[base + v]);
      let sum = 0;
      for (let v = 0; v < V; v++) sum += Math.exp(logits[base + v] - max);
      total += max + Math.log(sum) - logits[base + seq[t + 1]];
    }
    return total / (T - 1);
  });
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Peak resident set size of this process (Linux VmHWM), 0 where unavailable. */
export function peakRss(): number {
  try {
    const m = Deno.readTextFileSync("/proc/self/status").match(/VmHWM:\s+(\d+) kB/);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
