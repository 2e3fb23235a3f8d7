/**
 * Reading and validating a safetensors header without touching the tensor bytes.
 *
 * Layout (huggingface/safetensors): 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {..}}`, then the data
 * section; offsets are relative to the start of the data section.
 *
 * As strict as the reference reader (safetensors/src/tensor.rs: `read_metadata`, `validate`):
 * the JSON starts with `{`; sorted by offsets, the tensors cover the data section exactly, each
 * beginning where the previous one ends, the last ending at the end of the file; each span is
 * shape × dtype size. Stricter in two ways: a key repeated in one object is refused (JSON.parse
 * would keep the last), and the header is capped at 16 MiB instead of 100 MB (real checkpoints'
 * headers are under 1 MB; parsing 100 MB of JSON costs this process over a gigabyte).
 */
import { parseStrictJson } from "../strict_json.ts";
import { previewValue } from "../reason.ts";

/** Element types the engine accepts in model weights, with their size in bytes. */
export const DTYPE_BYTES = { F32: 4, F16: 2, BF16: 2 } as const;
/** A safetensors dtype the engine accepts in model weights. */
export type Dtype = keyof typeof DTYPE_BYTES;

/** One tensor's entry in a header, with offsets made absolute within the file. */
export interface TensorEntry<D extends string = Dtype> {
  name: string;
  dtype: D;
  shape: number[];
  /** Absolute byte offset of the first element in the file. */
  offset: number;
  /** Length in bytes (= product(shape) × dtype size). */
  length: number;
}

/** A validated header of one safetensors file. */
export interface SafetensorsHeader<D extends string = Dtype> {
  file: string;
  fileSize: number;
  /** Absolute offset of the data section (8 + header length). */
  dataStart: number;
  tensors: Map<string, TensorEntry<D>>;
  metadata: Record<string, string>;
}

/** Largest JSON header accepted (the reference caps it at 100 MB; see above). */
export const MAX_HEADER_BYTES = 16 * 2 ** 20;

/** Header JSON nesting: object → entry → shape or offsets. */
const MAX_HEADER_DEPTH = 4;

/** Options for `parseSafetensorsHeader`. */
export interface HeaderOptions<D extends string> {
  /** Tensor names the file may have: an unknown one is refused before the next entry is read. */
  known?: (name: string) => boolean;
  /** The dtypes allowed, with their sizes in bytes (default: the model weights' `DTYPE_BYTES`). */
  dtypes?: Readonly<Record<D, number>>;
}

/**
 * Parses and validates a header from its bytes. `prefix` must hold at least the first 8 bytes
 * plus the JSON (a range read is enough); `fileSize` is the whole file's size, used to check that
 * every tensor lies inside the file. Throws `SyntaxError` or `RangeError` naming `file`.
 */
export function parseSafetensorsHeader<D extends string = Dtype>(
  prefix: Uint8Array,
  fileSize: number,
  file: string,
  options: HeaderOptions<D> = {},
): SafetensorsHeader<D> {
  const { known } = options;
  const dtypes = (options.dtypes ?? DTYPE_BYTES) as Readonly<Record<D, number>>;
  if (fileSize < 8 || prefix.length < 8) {
    throw new RangeError(`Cannot read "${file}": ${fileSize} bytes is too short for a header`);
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new RangeError(`Cannot read "${file}": header length ${n} exceeds ${MAX_HEADER_BYTES}`);
  }
  const headerLength = Number(n);
  const dataStart = 8 + headerLength;
  if (dataStart > fileSize) {
    throw new RangeError(
      `Cannot read "${file}": header length ${headerLength} is longer than the file (${fileSize} bytes)`,
    );
  }
  if (prefix.length < dataStart) {
    throw new RangeError(`Cannot read "${file}": need ${dataStart} header bytes, got ${prefix.length}`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(prefix.subarray(8, dataStart));
  } catch {
    throw new SyntaxError(`Cannot read "${file}": header is not valid UTF-8`);
  }
  if (!text.startsWith("{")) {
    throw new SyntaxError(`Cannot read "${file}": header is not a JSON object (it must start with "{")`);
  }
  const json = parseStrictJson(text.trimEnd(), `Cannot read "${file}": header`, MAX_HEADER_DEPTH);
  if (!isPlainObject(json)) throw new SyntaxError(`Cannot read "${file}": header is not a JSON object`);

  const tensors = new Map<string, TensorEntry<D>>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json)) {
    if (name === "__metadata__") {
      metadata = parseMetadata(raw, file);
      continue;
    }
    if (known && !known(name)) {
      throw new TypeError(
        `Cannot read "${file}": unexpected tensor ${JSON.stringify(name.slice(0, 120))} (not part of this model)`,
      );
    }
    tensors.set(name, parseEntry(name, raw, { dtypes, dataStart, fileSize, file }));
  }
  checkCoverage([...tensors.values()], dataStart, fileSize, file);
  return { file, fileSize, dataStart, tensors, metadata };
}

function parseEntry<D extends string>(
  name: string,
  raw: unknown,
  { dtypes, dataStart, fileSize, file }: {
    dtypes: Readonly<Record<D, number>>;
    dataStart: number;
    fileSize: number;
    file: string;
  },
): TensorEntry<D> {
  const where = `Cannot read tensor ${JSON.stringify(name.slice(0, 120))} in "${file}"`;
  if (!isPlainObject(raw)) throw new SyntaxError(`${where}: entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== "string" || !Object.hasOwn(dtypes, dtype)) {
    throw new TypeError(`${where}: dtype ${previewValue(dtype)} is not one of ${Object.keys(dtypes).join(", ")}`);
  }
  if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SyntaxError(`${where}: shape ${previewValue(shape)} is not a list of at most 8 sizes`);
  }
  if (
    !Array.isArray(offsets) || offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]
  ) {
    throw new SyntaxError(`${where}: data_offsets ${previewValue(offsets)} are not [begin, end]`);
  }
  const [begin, end] = offsets as [number, number];
  const elements = shape.reduce((a: number, b: number) => a * b, 1);
  const expected = elements * dtypes[dtype as D];
  if (end - begin !== expected) {
    throw new RangeError(
      `${where}: ${dtype} ${JSON.stringify(shape)} needs ${expected} bytes, offsets span ${end - begin}`,
    );
  }
  if (dataStart + end > fileSize) {
    throw new RangeError(`${where}: offsets end at ${dataStart + end}, file has ${fileSize} bytes`);
  }
  return { name, dtype: dtype as D, shape, offset: dataStart + begin, length: end - begin };
}

function parseMetadata(raw: unknown, file: string): Record<string, string> {
  if (!isPlainObject(raw) || !Object.values(raw).every((v) => typeof v === "string")) {
    throw new SyntaxError(`Cannot read "${file}": __metadata__ must map strings to strings`);
  }
  return raw as Record<string, string>;
}

/** The reference's rule: sorted by offsets, the tensors tile the data section with no gap, overlap or tail. */
function checkCoverage(entries: TensorEntry<string>[], dataStart: number, fileSize: number, file: string): void {
  const sorted = entries.sort((a, b) => a.offset - b.offset || a.length - b.length);
  let at = dataStart;
  for (const e of sorted) {
    if (e.offset !== at) {
      throw new RangeError(
        `Cannot read "${file}": tensor ${JSON.stringify(e.name.slice(0, 120))} begins at data offset ${
          e.offset - dataStart
        }, the previous tensor ends at ${at - dataStart} (tensors must cover the data section contiguously)`,
      );
    }
    at += e.length;
  }
  if (at !== fileSize) {
    throw new RangeError(
      `Cannot read "${file}": the tensors cover ${at - dataStart} bytes of a ${
        fileSize - dataStart
      }-byte data section (the file must hold nothing else)`,
    );
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
