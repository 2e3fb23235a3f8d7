/**
 * Compiles a checked model into an ONNX graph: architecture body + shared loss head, weights as
 * external data pointing into the model's own safetensors files (no copy, no 2 GB limit).
 */
import { relative } from "node:path";
import type { CheckedModel } from "./model.ts";
import { type CheckedAdapter, loraSource } from "./adapters/mod.ts";
import { DTYPE_BYTES, type WeightRef } from "./safetensors/mod.ts";
import { addLossHead, capLogits } from "./loss_graph.ts";
import { type ComputeType, DataType, GraphBuilder } from "./onnx/mod.ts";
import { replacedWeight, sparseInputs } from "./sparse_update.ts";

/** A graph ready to be written into `graphDir` (the checked place that really holds the weights). */
export interface CompiledGraph {
  bytes: Uint8Array;
  graphDir: string;
  /** The replaced parameters the graph reads, whose positions and values are its inputs (a parameter it never reads changes no loss). */
  replaced: string[];
}

/** Graph input and output names. */
export const INPUT_IDS = "input_ids", OUTPUT_LOSS = "loss", OUTPUT_NEXT = "next_token", OUTPUT_LOGITS = "logits";

/**
 * Most logits one head slice should hold (2^26 floats, 256 MB), for batches of up to
 * `HEAD_CHUNK_BATCH` sequences (the batch is symbolic in the graph). Measured on GPT-2-small with
 * 4 × 1024 tokens: 8 slices took peak memory from 2862 to 1341 MiB at the same speed.
 */
export const HEAD_CHUNK_ELEMENTS = 1 << 26, HEAD_CHUNK_BATCH = 4;

/** What the graph returns: the in-graph loss (the engine), or raw logits (the benchmark's baseline). */
export type GraphOutput = "loss" | "logits";

/** How to compile, beyond the model and its sequence length. */
export interface CompileOptions {
  /** Row slices of the output head (default: enough to keep a slice's logits ≤ 256 MB). */
  headChunks?: number;
  /** A LoRA/DoRA adapter applied to the base's linear layers (checked against the model). */
  adapter?: CheckedAdapter;
  /** The network's compute type (default float32); the head and the loss are float32 always. */
  compute?: ComputeType;
  /**
   * Stored parameter names whose values each run replaces at fed positions (sparse_update.ts).
   * Float32 compute only: the replaced values are float32, and float16 would erase them.
   */
  replaced?: readonly string[];
}

/**
 * Builds the graph. ONNX Runtime refuses external data outside the graph file's directory after
 * resolving symlinks (the Hugging Face cache links snapshots to blobs), so locations are computed
 * from real paths and the graph must be written to `graphDir`: the model directory, or the blob
 * directory of its repo in a Hugging Face cache, never anywhere else (eval/files/local_files.ts).
 */
export function compileModel(
  model: CheckedModel,
  maxSequenceLength: number,
  output: GraphOutput = "loss",
  o: CompileOptions = {},
): CompiledGraph {
  const { headChunks, adapter, compute = "float32" } = o;
  const replaced = new Set(o.replaced ?? []);
  if (replaced.size > 0 && compute !== "float32") throw new RangeError("replaced weights need float32 compute");
  const graphDir = model.graphDir;
  const g = new GraphBuilder(
    (fileName) => relative(graphDir, model.files.realPath(fileName)),
    maxSequenceLength,
    compute,
  );
  const param = (name: string) => {
    const ref = model.params.get(name);
    if (!ref) throw new Error(`compiler asked for "${name}", which the tensor check did not provide`);
    return ref;
  };
  const updated = new Map<string, string>();
  // A replaced parameter is one value, whole; a block of its rows is a slice of it.
  const weight = (ref: WeightRef, as: "compute" | "float32" = "compute") => {
    if (!replaced.has(ref.name)) return g.weight(ref, as);
    let value = updated.get(ref.name);
    if (!value) updated.set(ref.name, value = replacedWeight(g, ref, g.weight(ref, "float32")));
    return value;
  };
  const w = (name: string, rows?: [number, number]) => {
    const ref = param(name);
    if (!rows) return weight(ref);
    const block = rowBlock(ref, rows);
    if (!replaced.has(ref.name)) return weight(block);
    return g.op("Slice", [weight(ref), g.i64([rows[0]]), g.i64([rows[0] + rows[1]]), g.i64([0])]);
  };
  const body = model.arch.buildHidden({ g, w, ids: INPUT_IDS, lora: adapter && loraSource(g, adapter) }, model.spec);
  // The head and the loss in float32 whatever the compute type: logits and their log-sum-exp
  // are where float16's 11-bit mantissa would cost the loss its precision.
  const hidden = compute === "float32" ? body : g.op("Cast", [body], { to: DataType.FLOAT });
  const head = weight(param(model.arch.headName(model.spec)), "float32");
  const biasName = model.arch.headBiasName?.(model.spec);
  const headBias = biasName ? weight(param(biasName), "float32") : undefined;
  const read = [...updated.keys()];
  const inputs = [{ name: INPUT_IDS, dataType: DataType.INT64, shape: ["B", "T"] }, ...sparseInputs(read)];
  if (output === "logits") {
    const projected = g.op("MatMul", [hidden, g.op("Transpose", [head], { perm: [1, 0] })]);
    const logits = capLogits(
      g,
      headBias ? g.op("Add", [projected, headBias]) : projected,
      model.spec.logitSoftcap ?? null,
    ); // (B, T, V)
    g.nodes.push({ opType: "Identity", inputs: [logits], outputs: [OUTPUT_LOGITS] });
    const outputs = [{ name: OUTPUT_LOGITS, dataType: DataType.FLOAT, shape: ["B", "T", model.spec.vocabSize] }];
    return { bytes: g.toBytes(inputs, outputs), graphDir, replaced: read };
  }
  const chunks = headChunks ??
    Math.min(64, Math.ceil((HEAD_CHUNK_BATCH * maxSequenceLength * model.spec.vocabSize) / HEAD_CHUNK_ELEMENTS));
  const { loss, nextToken } = addLossHead(g, hidden, {
    head,
    headBias,
    softcap: model.spec.logitSoftcap ?? null,
    ids: INPUT_IDS,
    hiddenSize: model.spec.hiddenSize,
    chunks,
  });
  g.nodes.push(
    { opType: "Identity", inputs: [loss], outputs: [OUTPUT_LOSS] },
    { opType: "Identity", inputs: [nextToken], outputs: [OUTPUT_NEXT] },
  );
  const outputs = [
    { name: OUTPUT_LOSS, dataType: DataType.FLOAT, shape: ["B"] },
    { name: OUTPUT_NEXT, dataType: DataType.INT64, shape: ["B", 2] },
  ];
  return { bytes: g.toBytes(inputs, outputs), graphDir, replaced: read };
}

/**
 * Rows [start, start + count) of a stored tensor as a tensor of its own: the same file, an offset
 * further in, so a fused projection's parts are read in place like any other weight.
 */
function rowBlock(ref: WeightRef, [start, count]: [number, number]): WeightRef {
  const rowBytes = ref.shape.slice(1).reduce((a, b) => a * b, 1) * DTYPE_BYTES[ref.dtype];
  if (start < 0 || count < 1 || start + count > ref.shape[0]) {
    throw new RangeError(`rows ${start}+${count} are outside "${ref.name}" ${JSON.stringify(ref.shape)}`);
  }
  return {
    ...ref,
    name: `${ref.name}[${start}:${start + count}]`,
    shape: [count, ...ref.shape.slice(1)],
    offset: ref.offset + start * rowBytes,
    length: count * rowBytes,
  };
}
