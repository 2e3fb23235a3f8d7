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

/** Accumulates nodes and initializers; `toBytes()` writes the model. */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  #count = 0;
  #weights = new Map<string, string>();

  /**
   * @param location maps a weight's file name to the path ONNX Runtime should open, relative to
   *   the directory the graph file is written to.
   * @param maxSequenceLength the longest sequence the graph must handle (sizes position tables).
   */
  constructor(
    readonly location: (fileName: string) => string,
    readonly maxSequenceLength: number,
  ) {}

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
   * A weight as float32: an external initializer named by its state-dict key, plus a Cast for
   * F16/BF16 (ONNX Runtime folds it when the session is built). Repeated calls reuse the value.
   */
  weight(ref: WeightRef): string {
    const known = this.#weights.get(ref.name);
    if (known) return known;
    this.initializers.push({
      name: ref.name,
      dataType: ONNX_DTYPE[ref.dtype],
      dims: ref.shape,
      external: { location: this.location(ref.fileName), offset: ref.offset, length: ref.length },
    });
    const value = ref.dtype === "F32" ? ref.name : this.op("Cast", [ref.name], { to: DataType.FLOAT });
    this.#weights.set(ref.name, value);
    return value;
  }

  /**
   * A tensor whose bytes are given (an adapter's, read from its own file: ONNX Runtime opens
   * external data only beside the graph, which lives with the base model), as float32.
   */
  inlineWeight(name: string, dtype: WeightRef["dtype"], shape: number[], raw: Uint8Array): string {
    const known = this.#weights.get(name);
    if (known) return known;
    this.initializers.push({ name, dataType: ONNX_DTYPE[dtype], dims: shape, raw: raw.slice() });
    const value = dtype === "F32" ? name : this.op("Cast", [name], { to: DataType.FLOAT });
    this.#weights.set(name, value);
    return value;
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

  #constant(dataType: DataTypeCode, raw: Uint8Array, dims: number[]): string {
    const name = `const_${this.#count++}`;
    this.initializers.push({ name, dataType, dims, raw: raw.slice() });
    return name;
  }
}
