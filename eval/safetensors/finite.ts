/**
 * A scan of tensor bytes for NaN and ±Inf, by exponent bits, streaming each file once in large
 * chunks so a multi-GB model needs no more than one chunk of memory.
 */
import type { WeightRef } from "./index.ts";

const CHUNK = 1 << 24; // a multiple of 4, so every chunk but the last holds whole elements

/** Throws `RangeError` naming the first tensor holding a non-finite value; `pathOf` gives each file's checked path. */
export async function scanFinite(pathOf: (fileName: string) => string, refs: WeightRef[]): Promise<void> {
  const byFile = Map.groupBy(refs, (r) => r.fileName);
  for (const [fileName, list] of [...byFile].sort(([a], [b]) => a.localeCompare(b))) {
    const f = await Deno.open(pathOf(fileName), { read: true });
    try {
      for (const ref of list.sort((a, b) => a.offset - b.offset)) await scanTensor(f, ref);
    } finally {
      f.close();
    }
  }
}

async function scanTensor(f: Deno.FsFile, ref: WeightRef): Promise<void> {
  const buf = new Uint8Array(Math.min(CHUNK, ref.length));
  await f.seek(ref.offset, Deno.SeekMode.Start);
  for (let done = 0; done < ref.length;) {
    const want = Math.min(buf.length, ref.length - done);
    let got = 0;
    while (got < want) {
      const n = await f.read(buf.subarray(got, want));
      if (n === null) throw new RangeError(`tensor "${ref.name}" ends early in "${ref.fileName}"`);
      got += n;
    }
    const bad = ref.dtype === "F32" ? firstNonFinite32(buf, got) : firstNonFinite16(buf, got, ref.dtype === "BF16");
    if (bad >= 0) {
      const index = done / (ref.dtype === "F32" ? 4 : 2) + bad;
      throw new RangeError(`tensor "${ref.name}" in "${ref.fileName}" has a non-finite value at element ${index}`);
    }
    done += got;
  }
}

// Each chunk starts at an element boundary of the tensor and sits at offset 0 of its own buffer,
// so typed views over it are aligned; exponent bits all set means NaN or ±Inf.
function firstNonFinite32(b: Uint8Array, n: number): number {
  const u = new Uint32Array(b.buffer, b.byteOffset, n >> 2);
  for (let i = 0; i < u.length; i++) if ((u[i] & 0x7f800000) === 0x7f800000) return i;
  return -1;
}

function firstNonFinite16(b: Uint8Array, n: number, bf16: boolean): number {
  const u = new Uint16Array(b.buffer, b.byteOffset, n >> 1);
  const exponent = bf16 ? 0x7f80 : 0x7c00;
  for (let i = 0; i < u.length; i++) if ((u[i] & exponent) === exponent) return i;
  return -1;
}
