/**
 * Templar's 12-bit index packing (docs/pseudograd.md, "12-bit packing"; `compress.py` `pack_12bit_indices`): indices in
 * row-major order, two per three bytes — `a & 0xFF`, `(a >> 8 & 0x0F) | (b & 0x0F) << 4`,
 * `b >> 4 & 0xFF`. The count must be even and every index below 4096.
 */

/** Packs `indices` (even count, each < 4096) into `3·N/2` bytes. */
export function pack12(indices: ArrayLike<number>): Uint8Array {
  if (indices.length % 2 !== 0) throw new RangeError(`12-bit packing needs an even count, got ${indices.length}`);
  const out = new Uint8Array((indices.length / 2) * 3);
  for (let i = 0, o = 0; i < indices.length; i += 2, o += 3) {
    const a = indices[i], b = indices[i + 1];
    if (!(a >= 0 && a < 4096 && b >= 0 && b < 4096 && Number.isInteger(a) && Number.isInteger(b))) {
      throw new RangeError(`index ${a >= 0 && a < 4096 ? b : a} at ${i} does not fit in 12 bits`);
    }
    out[o] = a & 0xff;
    out[o + 1] = ((a >> 8) & 0x0f) | ((b & 0x0f) << 4);
    out[o + 2] = (b >> 4) & 0xff;
  }
  return out;
}

/** Unpacks `count` indices from `bytes`, which must be exactly `3·count/2` long. */
export function unpack12(bytes: Uint8Array, count: number): Uint16Array {
  if (count % 2 !== 0 || bytes.length !== (count / 2) * 3) {
    throw new RangeError(`${bytes.length} packed bytes do not hold ${count} 12-bit indices (${(count / 2) * 3} would)`);
  }
  const out = new Uint16Array(count);
  for (let i = 0, o = 0; i < count; i += 2, o += 3) {
    out[i] = bytes[o] | ((bytes[o + 1] & 0x0f) << 8);
    out[i + 1] = (bytes[o + 1] >> 4) | (bytes[o + 2] << 4);
  }
  return out;
}
