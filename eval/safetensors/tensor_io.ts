/**
 * Stored tensor bytes as float32, and a float32 safetensors file written tensor by tensor (the header
 * first, from the shapes alone), for tools that produce models (the averager). The file is
 * written beside its final name and renamed into place, so a kill never leaves a partial file.
 */
import { encodeHeader } from "./assemble.ts";
import { type Dtype, DTYPE_BYTES } from "./header.ts";

/** Whether this machine stores numbers little-endian, as safetensors does. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Stored bytes of `dtype` as float32 values, in a new array (never a view of `bytes`). */
export function toFloat32(bytes: Uint8Array, dtype: Dtype): Float32Array {
  const n = bytes.length / DTYPE_BYTES[dtype];
  // F32 on a little-endian machine is already the array's layout: one copy, no per-element reads.
  if (dtype === "F32" && LITTLE_ENDIAN) return new Float32Array(bytes.slice().buffer, 0, n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  if (dtype === "F32") {
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  } else if (dtype === "BF16") {
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) u[i] = view.getUint16(2 * i, true) << 16;
  } else {
    for (let i = 0; i < n; i++) out[i] = view.getFloat16(2 * i, true);
  }
  return out;
}

/** A tensor to write: its name, shape, and a function giving its values when its turn comes. */
export interface TensorToWrite {
  name: string;
  shape: number[];
  values(): Promise<Float32Array>;
}

/** Writes a float32 safetensors file at `path`, one tensor in memory at a time. */
export async function writeSafetensorsFile(
  path: string,
  tensors: readonly TensorToWrite[],
  metadata: Record<string, string> = {},
): Promise<void> {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const bytes = 4 * t.shape.reduce((a, b) => a * b, 1);
    header[t.name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const head = encodeHeader(header);
  const partial = `${path}.incomplete`;
  {
    using f = await Deno.open(partial, { write: true, create: true, truncate: true });
    await writeAll(f, head);
    for (const t of tensors) {
      const values = await t.values();
      if (values.length !== t.shape.reduce((a, b) => a * b, 1)) {
        throw new RangeError(`tensor "${t.name}" has ${values.length} values for shape ${JSON.stringify(t.shape)}`);
      }
      await writeAll(f, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    }
    await f.sync();
  }
  await Deno.rename(partial, path);
}

async function writeAll(f: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await f.write(bytes.subarray(at));
}
