/**
 * A minimal protobuf writer for the subset of `onnx.proto` the compiler emits: models, graphs,
 * nodes, attributes, value infos and tensors (inline or external). Field numbers follow
 * onnx/onnx.proto (IR version 10). Writing by hand keeps the dependency list short and the
 * encoding visible; ONNX Runtime is the reader that checks it.
 */

/** ONNX `TensorProto.DataType` codes used by the compiler. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  BFLOAT16: 16,
} as const;
export type DataTypeCode = typeof DataType[keyof typeof DataType];

/** A tensor: inline values or a (location, offset, length) reference into an external file. */
export interface TensorProto {
  name: string;
  dataType: DataTypeCode;
  dims: readonly number[];
  raw?: Uint8Array;
  external?: { location: string; offset: number; length: number };
}

/** A node attribute; the kind is inferred from the JS value. */
export type AttributeValue = number | string | readonly number[] | TensorProto | {
  float: number;
} | { floats: readonly number[] };

/** One graph node. */
export interface NodeProto {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attributes?: Record<string, AttributeValue>;
}

/** A graph input or output: element type and shape (strings are symbolic dimensions). */
export interface ValueInfo {
  name: string;
  dataType: DataTypeCode;
  shape: readonly (number | string)[];
}

/** A whole graph. */
export interface GraphProto {
  name: string;
  nodes: readonly NodeProto[];
  initializers: readonly TensorProto[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
}

/** A model: the graph plus the opsets it uses. */
export interface ModelProto {
  graph: GraphProto;
  opsets: readonly { domain: string; version: number }[];
  irVersion?: number;
  producer?: string;
}

/** Serialises a model to protobuf bytes. */
export function encodeModel(model: ModelProto): Uint8Array {
  const w = new Writer();
  w.varintField(1, model.irVersion ?? 10);
  w.stringField(2, model.producer ?? "sn9-deno");
  w.messageField(7, encodeGraph(model.graph));
  for (const op of model.opsets) {
    const o = new Writer();
    if (op.domain) o.stringField(1, op.domain);
    o.varintField(2, op.version);
    w.messageField(8, o.finish());
  }
  return w.finish();
}

function encodeGraph(g: GraphProto): Uint8Array {
  const w = new Writer();
  for (const n of g.nodes) w.messageField(1, encodeNode(n));
  w.stringField(2, g.name);
  for (const t of g.initializers) w.messageField(5, encodeTensor(t));
  for (const v of g.inputs) w.messageField(11, encodeValueInfo(v));
  for (const v of g.outputs) w.messageField(12, encodeValueInfo(v));
  return w.finish();
}

function encodeNode(n: NodeProto): Uint8Array {
  const w = new Writer();
  for (const i of n.inputs) w.stringField(1, i);
  for (const o of n.outputs) w.stringField(2, o);
  if (n.name) w.stringField(3, n.name);
  w.stringField(4, n.opType);
  for (const [name, value] of Object.entries(n.attributes ?? {})) {
    w.messageField(5, encodeAttribute(name, value));
  }
  if (n.domain) w.stringField(7, n.domain);
  return w.finish();
}

// AttributeProto.AttributeType codes.
const ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_STRING = 3, ATTR_TENSOR = 4, ATTR_FLOATS = 6, ATTR_INTS = 7;

function encodeAttribute(name: string, value: AttributeValue): Uint8Array {
  const w = new Writer();
  w.stringField(1, name);
  if (typeof value === "number") {
    if (!Number.isInteger(value)) {
      throw new TypeError(`Attribute "${name}": use {float: x} for a float, got ${value}`);
    }
    w.varintField(3, value);
    w.varintField(20, ATTR_INT);
  } else if (typeof value === "string") {
    w.stringField(4, value);
    w.varintField(20, ATTR_STRING);
  } else if (Array.isArray(value)) {
    for (const v of value) w.varintField(8, v);
    w.varintField(20, ATTR_INTS);
  } else if ("float" in value) {
    w.float32Field(2, value.float);
    w.varintField(20, ATTR_FLOAT);
  } else if ("floats" in value) {
    for (const v of value.floats) w.float32Field(7, v);
    w.varintField(20, ATTR_FLOATS);
  } else {
    w.messageField(5, encodeTensor(value as TensorProto));
    w.varintField(20, ATTR_TENSOR);
  }
  return w.finish();
}

function encodeTensor(t: TensorProto): Uint8Array {
  const w = new Writer();
  for (const d of t.dims) w.varintField(1, d);
  w.varintField(2, t.dataType);
  w.stringField(8, t.name);
  if (t.raw) w.bytesField(9, t.raw);
  if (t.external) {
    const entries: [string, string][] = [
      ["location", t.external.location],
      ["offset", String(t.external.offset)],
      ["length", String(t.external.length)],
    ];
    for (const [k, v] of entries) {
      const e = new Writer();
      e.stringField(1, k);
      e.stringField(2, v);
      w.messageField(13, e.finish());
    }
    w.varintField(14, 1); // data_location = EXTERNAL
  }
  return w.finish();
}

function encodeValueInfo(v: ValueInfo): Uint8Array {
  const shape = new Writer();
  for (const d of v.shape) {
    const dim = new Writer();
    if (typeof d === "number") dim.varintField(1, d);
    else dim.stringField(2, d);
    shape.messageField(1, dim.finish());
  }
  const tensorType = new Writer();
  tensorType.varintField(1, v.dataType);
  tensorType.messageField(2, shape.finish());
  const type = new Writer();
  type.messageField(1, tensorType.finish());
  const w = new Writer();
  w.stringField(1, v.name);
  w.messageField(2, type.finish());
  return w.finish();
}

const textEncoder = new TextEncoder();

/** Appends protobuf wire-format fields to a growing buffer. */
class Writer {
  #chunks: Uint8Array[] = [];
  #bytes: number[] = [];

  varintField(field: number, value: number): void {
    this.#tag(field, 0);
    this.#varint(value);
  }
  float32Field(field: number, value: number): void {
    this.#tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.#bytes.push(...b);
  }
  stringField(field: number, value: string): void {
    this.bytesField(field, textEncoder.encode(value));
  }
  messageField(field: number, value: Uint8Array): void {
    this.bytesField(field, value);
  }
  bytesField(field: number, value: Uint8Array): void {
    this.#tag(field, 2);
    this.#varint(value.length);
    this.#flush();
    this.#chunks.push(value);
  }
  finish(): Uint8Array {
    this.#flush();
    const total = this.#chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  #tag(field: number, wire: number): void {
    this.#varint(field * 8 + wire);
  }
  // Varints of non-negative integers up to 2^53, and of negative int64 as 10-byte two's complement.
  #varint(value: number): void {
    let v = BigInt(value);
    if (v < 0n) v += 1n << 64n;
    while (v >= 0x80n) {
      this.#bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#bytes.push(Number(v));
  }
  #flush(): void {
    if (this.#bytes.length) {
      this.#chunks.push(Uint8Array.from(this.#bytes));
      this.#bytes = [];
    }
  }
}
