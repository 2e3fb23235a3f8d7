/**
 * Reading and validating a safetensors header without touching the tensor bytes.
 *
 * Layout (huggingface/safetensors): 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {..}}`, then the data
 * section; offsets are relative to the start of the data section.
 */

/** Element types the engine accepts, with their size in bytes. */
export const DTYPE_BYTES = { F32: 4, F16: 2, BF16: 2 } as const;
/** A safetensors dtype the engine accepts. */
export type Dtype = keyof typeof DTYPE_BYTES;

/** One tensor's entry in a header, with offsets made absolute within the file. */
export interface TensorEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Absolute byte offset of the first element in the file. */
  offset: number;
  /** Length in bytes (= product(shape) × dtype size). */
  length: number;
}

/** A validated header of one safetensors file. */
export interface SafetensorsHeader {
  file: string;
  fileSize: number;
  /** Absolute offset of the data section (8 + header length). */
  dataStart: number;
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

/** Largest JSON header accepted (the reference implementation caps it at 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * Parses and validates a header from its bytes. `prefix` must hold at least the first 8 bytes
 * plus the JSON (a range read is enough); `fileSize` is the whole file's size, used to check that
 * every tensor lies inside the file. Throws `SyntaxError` or `RangeError` naming `file`.
 */
export function parseSafetensorsHeader(
  prefix: Uint8Array,
  fileSize: number,
  file: string,
): SafetensorsHeader {
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
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(prefix.subarray(8, dataStart)));
  } catch (e) {
    throw new SyntaxError(`Cannot read "${file}": header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(json)) throw new SyntaxError(`Cannot read "${file}": header is not a JSON object`);

  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json)) {
    if (name === "__metadata__") {
      metadata = parseMetadata(raw, file);
      continue;
    }
    tensors.set(name, parseEntry(name, raw, dataStart, fileSize, file));
  }
  checkNoOverlap([...tensors.values()], file);
  return { file, fileSize, dataStart, tensors, metadata };
}

/** Reads and validates the header of a local safetensors file. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const f = await Deno.open(path, { read: true });
  try {
    const { size } = await f.stat();
    const head = new Uint8Array(Math.min(size, 8));
    await readFull(f, head);
    if (size < 8) return parseSafetensorsHeader(head, size, path);
    const n = new DataView(head.buffer).getBigUint64(0, true);
    const want = n > BigInt(MAX_HEADER_BYTES) || 8n + n > BigInt(size) ? 8 : 8 + Number(n);
    const prefix = new Uint8Array(want);
    prefix.set(head);
    await readFull(f, prefix.subarray(8));
    return parseSafetensorsHeader(prefix, size, path);
  } finally {
    f.close();
  }
}

async function readFull(f: Deno.FsFile, into: Uint8Array): Promise<void> {
  let at = 0;
  while (at < into.length) {
    const got = await f.read(into.subarray(at));
    if (got === null) throw new RangeError(`Unexpected end of file after ${at} bytes`);
    at += got;
  }
}

function parseEntry(
  name: string,
  raw: unknown,
  dataStart: number,
  fileSize: number,
  file: string,
): TensorEntry {
  const where = `Cannot read tensor "${name}" in "${file}"`;
  if (!isPlainObject(raw)) throw new SyntaxError(`${where}: entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== "string" || !(dtype in DTYPE_BYTES)) {
    throw new TypeError(`${where}: dtype ${JSON.stringify(dtype)} is not one of F32, F16, BF16`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SyntaxError(`${where}: shape ${JSON.stringify(shape)} is not a list of sizes`);
  }
  if (
    !Array.isArray(offsets) || offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]
  ) {
    throw new SyntaxError(`${where}: data_offsets ${JSON.stringify(offsets)} are not [begin, end]`);
  }
  const [begin, end] = offsets as [number, number];
  const elements = shape.reduce((a: number, b: number) => a * b, 1);
  const expected = elements * DTYPE_BYTES[dtype as Dtype];
  if (end - begin !== expected) {
    throw new RangeError(
      `${where}: ${dtype} ${JSON.stringify(shape)} needs ${expected} bytes, offsets span ${end - begin}`,
    );
  }
  if (dataStart + end > fileSize) {
    throw new RangeError(`${where}: offsets end at ${dataStart + end}, file has ${fileSize} bytes`);
  }
  return { name, dtype: dtype as Dtype, shape, offset: dataStart + begin, length: end - begin };
}

function parseMetadata(raw: unknown, file: string): Record<string, string> {
  if (!isPlainObject(raw) || !Object.values(raw).every((v) => typeof v === "string")) {
    throw new SyntaxError(`Cannot read "${file}": __metadata__ must map strings to strings`);
  }
  return raw as Record<string, string>;
}

function checkNoOverlap(entries: TensorEntry[], file: string): void {
  const sorted = entries.filter((e) => e.length > 0).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1], cur = sorted[i];
    if (cur.offset < prev.offset + prev.length) {
      throw new RangeError(
        `Cannot read "${file}": tensors "${prev.name}" and "${cur.name}" overlap at byte ${cur.offset}`,
      );
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
