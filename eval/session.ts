/**
 * ONNX Runtime sessions over compiled graphs: device choice with a stated fallback, thread
 * counts, and batched runs that return one loss and one greedy token per sequence.
 */
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { compileModel, INPUT_IDS, OUTPUT_LOSS, OUTPUT_NEXT } from "./compile.ts";
import type { CheckedModel } from "./model.ts";
import { ModelRejected } from "./rejected.ts";

/** Execution devices the engine knows. */
export type Device = "cpu" | "cuda" | "webgpu";
export const DEVICES: readonly Device[] = ["cpu", "cuda", "webgpu"];

/** Options for building a session. */
export interface SessionOptions {
  device?: Device;
  /** Intra-op threads (default: all cores the runtime reports). */
  threads?: number;
  /** Longest sequence the session will be asked to run (sizes position tables). */
  maxSequenceLength: number;
  /** Receives one-line notices such as a device fallback. */
  log?: (message: string) => void;
}

/** A model ready to evaluate. */
export interface LossSession {
  model: CheckedModel;
  /** The device actually used (after any fallback). */
  device: Device;
  /** Milliseconds spent compiling and building the session. */
  loadMs: number;
  /** Runs one batch of equal-length sequences: per-sequence loss and the two likeliest next tokens. */
  run(batch: readonly ArrayLike<number>[]): Promise<{ losses: number[]; nextTokens: [number, number][] }>;
  release(): Promise<void>;
}

/** Compiles `model` and builds its session on the requested device, falling back to CPU. */
export async function createLossSession(model: CheckedModel, options: SessionOptions): Promise<LossSession> {
  const start = performance.now();
  const log = options.log ?? (() => {});
  let device = options.device ?? "cpu";
  const available = ort.listSupportedBackends().map((b) => b.name);
  if (!available.includes(device)) {
    log(`device ${device}: onnxruntime-node has no ${device} provider here (have ${available.join(", ")}); using cpu`);
    device = "cpu";
  }
  const { bytes, graphDir } = await compileModel(model, options.maxSequenceLength);
  const graphPath = join(graphDir, `.sn9-graph-${crypto.randomUUID()}.onnx`);
  await Deno.writeFile(graphPath, bytes);
  let session: ort.InferenceSession;
  try {
    session = await build(graphPath, device, options.threads);
  } catch (e) {
    if (device === "cpu") {
      throw new ModelRejected("runtime", `${model.label}: ONNX Runtime refused the model: ${(e as Error).message}`, { cause: e });
    }
    log(`device ${device}: session failed (${(e as Error).message.split("\n")[0]}); using cpu`);
    device = "cpu";
    session = await build(graphPath, device, options.threads);
  } finally {
    await Deno.remove(graphPath).catch(() => {});
  }
  const { vocabSize } = model.spec;
  const maxLength = options.maxSequenceLength;
  return {
    model,
    device,
    loadMs: performance.now() - start,
    async run(batch) {
      const T = batch[0]?.length ?? 0;
      if (T < 2 || T > maxLength) throw new RangeError(`sequence length ${T} is outside [2, ${maxLength}]`);
      const ids = new BigInt64Array(batch.length * T);
      batch.forEach((seq, b) => {
        if (seq.length !== T) throw new RangeError(`sequence ${b} has ${seq.length} tokens, expected ${T}`);
        for (let t = 0; t < T; t++) {
          const id = seq[t];
          if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
            throw new RangeError(`sequence ${b}, position ${t}: token ${id} is outside the vocabulary [0, ${vocabSize})`);
          }
          ids[b * T + t] = BigInt(id);
        }
      });
      const out = await session.run({ [INPUT_IDS]: new ort.Tensor("int64", ids, [batch.length, T]) });
      const losses = Array.from(out[OUTPUT_LOSS].data as Float32Array);
      const top = Array.from(out[OUTPUT_NEXT].data as BigInt64Array, Number);
      const nextTokens = losses.map((_, b) => [top[2 * b], top[2 * b + 1]] as [number, number]);
      return { losses, nextTokens };
    },
    release: () => session.release(),
  };
}

function build(path: string, device: Device, threads?: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, {
    executionProviders: [device],
    graphOptimizationLevel: "all",
    intraOpNumThreads: threads ?? navigator.hardwareConcurrency,
    interOpNumThreads: 1,
    executionMode: "sequential",
  });
}
