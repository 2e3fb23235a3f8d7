/**
 * ONNX Runtime sessions over compiled graphs: device choice with a stated fallback, thread
 * counts, and batched runs that return one loss and the two likeliest next tokens per sequence.
 */
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { graphFileName, removeStaleGraphs } from "./files/mod.ts";
import { compileModel, type GraphOutput, INPUT_IDS, OUTPUT_LOSS, OUTPUT_NEXT } from "./compile.ts";
import type { CheckedModel } from "./model.ts";
import type { CheckedAdapter } from "./adapters/mod.ts";
import type { ComputeType } from "./onnx/mod.ts";
import { ModelRejected } from "./rejected.ts";
import { sparseInputNames, type SparseValues } from "./sparse_update.ts";

/** The engine that runs the graphs, as results name it: "onnxruntime-node 1.30.0". */
export const ENGINE_VERSION = `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common}`;

/** Execution devices the engine knows. */
export type Device = "cpu" | "cuda" | "webgpu";
export const DEVICES: readonly Device[] = ["cpu", "cuda", "webgpu"];

/** Options for building a session. */
export interface SessionOptions {
  device?: Device;
  /** Which GPU of several (ONNX Runtime's `deviceId`; default its first). */
  deviceId?: number;
  /** Intra-op threads (default: all cores the runtime reports). */
  threads?: number;
  /** Longest sequence the session will be asked to run (sizes position tables). */
  maxSequenceLength: number;
  /** Receives one-line notices such as a device fallback. */
  log?: (message: string) => void;
  /** Write ONNX Runtime's profile (Chrome trace JSON) to files starting with this path. */
  profilePrefix?: string;
  /** Row slices of the output head (default: enough to keep a slice's logits ≤ 256 MB). */
  headChunks?: number;
  /** A LoRA/DoRA adapter on the model, checked against it (eval/adapters). */
  adapter?: CheckedAdapter;
  /** The network's compute type (default: float32 on CPU, float16 on a GPU; docs/gpu-precision.md). */
  compute?: ComputeType;
  /** Stored parameters whose values runs replace at given positions (`createReplacingSession`). */
  replaced?: readonly string[];
}

/** float32 on the CPU; float16 on the GPU paths, with the head and the loss in float32. */
export function defaultCompute(device: Device): ComputeType {
  return device === "cpu" ? "float32" : "float16";
}

/** A model ready to evaluate. */
export interface LossSession {
  model: CheckedModel;
  /** The device actually used (after any fallback). */
  device: Device;
  /** The compute type of the graph it runs. */
  compute: ComputeType;
  /** Milliseconds spent compiling and building the session. */
  loadMs: number;
  /** Runs one batch of equal-length sequences: per-sequence loss and the two likeliest next tokens. */
  run(batch: readonly ArrayLike<number>[]): Promise<{ losses: number[]; nextTokens: [number, number][] }>;
  release(): Promise<void>;
}

/** A session whose runs see `model` with some parameters' values replaced at some positions. */
export interface ReplacingSession extends LossSession {
  /**
   * The replacements every later run sees; a parameter left out is the model's own, and one the
   * graph never reads is ignored.
   */
  replace(values: ReadonlyMap<string, SparseValues>): void;
}

/** Compiles `model` and builds its session on the requested device, falling back to CPU. */
export function createLossSession(model: CheckedModel, options: SessionOptions): Promise<LossSession> {
  return createReplacingSession(model, { ...options, replaced: [] });
}

/**
 * A loss session in which each of `options.replaced` (stored parameter names) takes the values
 * `replace` sets, in float32 compute (eval/sparse_update.ts).
 */
export async function createReplacingSession(model: CheckedModel, options: SessionOptions): Promise<ReplacingSession> {
  const start = performance.now();
  const { session, device, compute, replaced } = await openSession(model, options, "loss");
  const maxLength = options.maxSequenceLength;
  let feeds: Record<string, ort.Tensor> = {};
  const replace = (values: ReadonlyMap<string, SparseValues>) => {
    const unknown = [...values.keys()].find((name) => !options.replaced?.includes(name));
    if (unknown !== undefined) throw new RangeError(`the session does not replace "${unknown}"`);
    feeds = {};
    for (const name of replaced) {
      const { at, values: v } = values.get(name) ?? { at: new Uint32Array(0), values: new Float32Array(0) };
      if (at.length !== v.length) throw new RangeError(`"${name}": ${at.length} positions, ${v.length} values`);
      const inputs = sparseInputNames(name);
      // Below 2³¹ (replacedWeight refuses larger parameters), so the same bits read as int32.
      feeds[inputs.at] = new ort.Tensor("int32", new Int32Array(at.buffer, at.byteOffset, at.length), [at.length]);
      feeds[inputs.values] = new ort.Tensor("float32", v, [v.length]);
    }
  };
  replace(new Map());
  return {
    model,
    device,
    compute,
    loadMs: performance.now() - start,
    replace,
    async run(batch) {
      const out = await session.run({ ...feeds, [INPUT_IDS]: toInputIds(batch, model.spec.vocabSize, maxLength) });
      const losses = Array.from(out[OUTPUT_LOSS].data as Float32Array);
      const top = Array.from(out[OUTPUT_NEXT].data as BigInt64Array, Number);
      const nextTokens = losses.map((_, b) => [top[2 * b], top[2 * b + 1]] as [number, number]);
      return { losses, nextTokens };
    },
    release: () => session.release(),
  };
}

/** Compiles and opens a session for either graph output; the graph file is removed once loaded. */
export async function openSession(
  model: CheckedModel,
  options: SessionOptions,
  output: GraphOutput,
): Promise<{ session: ort.InferenceSession; device: Device; compute: ComputeType; replaced: string[] }> {
  const log = options.log ?? (() => {});
  if (options.maxSequenceLength > model.spec.maxPositions) {
    throw new ModelRejected(
      "config",
      `${model.label}: the model has ${model.spec.maxPositions} positions, fewer than the sequence length ${options.maxSequenceLength}`,
    );
  }
  let device = options.device ?? "cpu";
  const available = ort.listSupportedBackends().map((b) => b.name);
  if (!available.includes(device)) {
    log(`device ${device}: onnxruntime-node has no ${device} provider here (have ${available.join(", ")}); using cpu`);
    device = "cpu";
  }
  // The graph is compiled for the device it runs on: a fallback to CPU recompiles in float32.
  const attempt = async (on: Device) => {
    const compute = options.compute ?? defaultCompute(on);
    const { bytes, graphDir, replaced } = compileModel(model, options.maxSequenceLength, output, {
      headChunks: options.headChunks,
      adapter: options.adapter,
      compute,
      replaced: options.replaced,
    });
    await removeStaleGraphs(graphDir);
    const graphPath = join(graphDir, graphFileName());
    await Deno.writeFile(graphPath, bytes, { createNew: true });
    try {
      return { session: await build(graphPath, on, options), device: on, compute, replaced };
    } finally {
      await Deno.remove(graphPath).catch(() => {});
    }
  };
  try {
    try {
      return await attempt(device);
    } catch (e) {
      if (device === "cpu") throw e;
      log(`device ${device}: session failed (${(e as Error).message.split("\n")[0]}); using cpu`);
      return await attempt("cpu");
    }
  } catch (e) {
    const label = options.adapter ? `${options.adapter.label} on ${model.label}` : model.label;
    throw new ModelRejected("runtime", `${label}: ONNX Runtime refused the model: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Packs equal-length token sequences into an int64 (B, T) tensor, checking every id. */
export function toInputIds(batch: readonly ArrayLike<number>[], vocabSize: number, maxLength: number): ort.Tensor {
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
  return new ort.Tensor("int64", ids, [batch.length, T]);
}

function build(path: string, device: Device, options: SessionOptions): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, {
    executionProviders: [
      device === "cpu" || options.deviceId === undefined ? device : { name: device, deviceId: options.deviceId },
    ],
    graphOptimizationLevel: "all",
    intraOpNumThreads: options.threads ?? navigator.hardwareConcurrency,
    enableProfiling: options.profilePrefix !== undefined,
    profileFilePrefix: options.profilePrefix,
    interOpNumThreads: 1,
    executionMode: "sequential",
    // Flush denormals to zero: softmax tails underflow into denormals, which x86 handles ~100×
    // slower; measured on GPT-2-small, attention 520 → 276 ms and log-softmax 119 → 77 ms per run.
    // Values below 1.2e-38 cannot change a loss computed as x − max − log Σ exp.
    extra: { session: { set_denormal_as_zero: "1" } },
  });
}
