/**
 * Builds an ONNX graph node by node with generated value names, inline constants, and weights
 * that stay in their safetensors files as external data.
 */
import type { WeightRef } from "../safetensors/mod.ts";
import {
  type AttributeValue,
  DataType,
  type DataTypeCode,
  encodeModel,
  type NodeProto,
  type TensorProto,
  type ValueInfo,
} from "./proto.ts";

/** The default opset: opset 23 brings RMSNormalization. */
export const OPSET = 23;
/** ONNX Runtime's contrib domain, for GroupQueryAttention (its fastest causal attention kernel). */
export const MS_DOMAIN = "com.microsoft";

const ONNX_DTYPE: Record<WeightRef["dtype"], DataTypeCode> = {
  F32: DataType.FLOAT,
  F16: DataType.FLOAT16,
  BF16: DataType.BFLOAT16,
};

/**
 * The type the network computes in: float32 (CPU), or float16 (the GPU paths; see
 * docs/gpu-precision.md). Weights and compute constants take it; the loss head stays float32.
 */
export type ComputeType = "float32" | "float16";

/** Accumulates nodes and initializers; `toBytes()` writes the model. */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  #count = 0;
  #initialized = new Set<string>();
  #casts = new Map<string, string>();

  /**
   * @param location maps a weight's file name to the path ONNX Runtime should open, relative to
   *   the directory the graph file is written to.
   * @param maxSequenceLength the longest sequence the graph must handle (sizes position tables).
   */
  constructor(
    readonly location: (fileName: string) => string,
    readonly maxSequenceLength: number,
    readonly compute: ComputeType = "float32",
  ) {}

  /** The ONNX type code of `compute`. */
  get computeDataType(): DataTypeCode {
    return this.compute === "float16" ? DataType.FLOAT16 : DataType.FLOAT;
  }

  /** Adds a node with one output and returns the output's name. */
  op(opType: string, inputs: string[], attributes?: Record<string, AttributeValue>): string {
    return this.ops(opType, inputs, 1, attributes)[0];
  }

  /** Adds a node with `outputs` outputs and returns their names. */
  ops(
    opType: string,
    inputs: string[],
    outputs: number,
    attributes?: Record<string, AttributeValue>,
    domain?: string,
  ): string[] {
    const id = this.#count++;
    const names = Array.from(
      { length: outputs },
      (_, i) => `${opType.toLowerCase()}_${id}${outputs > 1 ? `_${i}` : ""}`,
    );
    this.nodes.push({ opType, inputs, outputs: names, name: `${opType}_${id}`, attributes, domain });
    return names;
  }

  /**
   * A weight in the compute type (or float32 with `as: "float32"`, for the loss head): an
   * external initializer named by its state-dict key, plus a Cast where the stored type differs
   * (ONNX Runtime folds it when the session is built). Repeated calls reuse the value.
   */
  weight(ref: WeightRef, as: "compute" | "float32" = "compute"): string {
    if (!this.#initialized.has(ref.name)) {
      this.initializers.push({
        name: ref.name,
        dataType: ONNX_DTYPE[ref.dtype],
        dims: ref.shape,
        external: { location: this.location(ref.fileName), offset: ref.offset, length: ref.length },
      });
      this.#initialized.add(ref.name);
    }
    return this.#cast(ref.name, ONNX_DTYPE[ref.dtype], as === "float32" ? DataType.FLOAT : this.computeDataType);
  }

  /**
   * A tensor whose bytes are given (an adapter's, read from its own file: ONNX Runtime opens
   * external data only beside the graph, which lives with the base model), as float32.
   */
  inlineWeight(name: string, dtype: WeightRef["dtype"], shape: number[], raw: Uint8Array): string {
    if (!this.#initialized.has(name)) {
      this.initializers.push({ name, dataType: ONNX_DTYPE[dtype], dims: shape, raw: raw.slice() });
      this.#initialized.add(name);
    }
    return this.#cast(name, ONNX_DTYPE[dtype], this.computeDataType);
  }

  /** A constant in the compute type (scales, masks, rotary tables). */
  value(values: Float32Array, dims: number[]): string {
    if (this.compute === "float32") return this.f32(values, dims);
    const half = Float16Array.from(values);
    return this.#constant(DataType.FLOAT16, new Uint8Array(half.buffer), dims);
  }

  /** An inline float32 constant. */
  f32(values: Float32Array, dims: number[]): string {
    return this.#constant(DataType.FLOAT, new Uint8Array(values.buffer, values.byteOffset, values.byteLength), dims);
  }

  /** An inline int64 constant: a scalar for a number, a 1-D tensor for an array. */
  i64(values: number | number[]): string {
    const list = typeof values === "number" ? [values] : values;
    const data = new BigInt64Array(list.map(BigInt));
    return this.#constant(DataType.INT64, new Uint8Array(data.buffer), typeof values === "number" ? [] : [list.length]);
  }

  /** An inline int32 constant: a scalar for a number, a 1-D tensor for an array. */
  i32(values: number | number[]): string {
    const list = typeof values === "number" ? [values] : values;
    const data = new Int32Array(list);
    return this.#constant(DataType.INT32, new Uint8Array(data.buffer), typeof values === "number" ? [] : [list.length]);
  }

  /** Dimension `axis` of a value's shape, as a 1-element int64 tensor. */
  dim(value: string, axis: number): string {
    return this.op("Shape", [value], { start: axis, end: axis + 1 });
  }

  /** Serialises the graph with the given inputs and outputs. */
  toBytes(inputs: ValueInfo[], outputs: ValueInfo[]): Uint8Array {
    return encodeModel({
      opsets: [{ domain: "", version: OPSET }, { domain: MS_DOMAIN, version: 1 }],
      graph: { name: "sn9", nodes: this.nodes, initializers: this.initializers, inputs, outputs },
    });
  }

  /** `name` (stored as `from`) as type `to`: itself, or one shared Cast. */
  #cast(name: string, from: DataTypeCode, to: DataTypeCode): string {
    if (from === to) return name;
    const key = `${name}\u0000${to}`;
    let value = this.#casts.get(key);
    if (!value) {
      value = this.op("Cast", [name], { to });
      this.#casts.set(key, value);
    }
    return value;
  }

  #constant(dataType: DataTypeCode, raw: Uint8Array, dims: number[]): string {
    const name = `const_${this.#count++}`;
    this.initializers.push({ name, dataType, dims, raw: raw.slice() });
    return name;
  }
}
