/**
 * A scan of tensor bytes for NaN and ±Inf, by exponent bits, streaming each file once in large
 * chunks so a multi-GB model needs no more than one chunk of memory.
 */
import { join } from "node:path";
import type { WeightRef } from "./sharded.ts";

const CHUNK = 1 << 24;

/** Throws `RangeError` naming the first tensor holding a non-finite value. */
export async function scanFinite(dir: string, refs: WeightRef[]): Promise<void> {
  const byFile = Map.groupBy(refs, (r) => r.fileName);
  for (const [fileName, list] of [...byFile].sort(([a], [b]) => a.localeCompare(b))) {
    const f = await Deno.open(join(dir, fileName), { read: true });
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

// Chunks start at tensor offsets that may be unaligned, so read through DataView-free byte math.
function firstNonFinite32(b: Uint8Array, n: number): number {
  for (let i = 3; i < n; i += 4) {
    // exponent bits 30..23 all set: byte 3 low 7 bits and byte 2 top bit
    if ((b[i] & 0x7f) === 0x7f && (b[i - 1] & 0x80) === 0x80) return (i - 3) / 4;
  }
  return -1;
}

function firstNonFinite16(b: Uint8Array, n: number, bf16: boolean): number {
  for (let i = 1; i < n; i += 2) {
    const hi = b[i], lo = b[i - 1];
    const bad = bf16 ? (hi & 0x7f) === 0x7f && (lo & 0x80) === 0x80 : (hi & 0x7c) === 0x7c;
    if (bad) return (i - 1) / 2;
  }
  return -1;
}
