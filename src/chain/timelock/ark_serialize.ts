/**
 * The few pieces of arkworks' `CanonicalSerialize` (compressed mode) that timelock ciphertexts
 * use, so our bytes are the bytes the subtensor runtime's `deserialize_compressed` reads:
 * - `Vec<u8>`: u64 little-endian length, then the bytes;
 * - a base-field element: 48 bytes little-endian;
 * - Fp12 (a pairing output): its six Fp2 coefficients c0.c0, c0.c1, c0.c2, c1.c0, c1.c1, c1.c2,
 *   each as c0 then c1 (the tower Fp12 = Fp6[w]/(w² − v), Fp6 = Fp2[v]/(v³ − (u + 1)),
 *   Fp2 = Fp[u]/(u² + 1), which ark-bls12-381 and @noble/curves share);
 * - curve points use ark-bls12-381's compressed form, which is the ZCash format (big-endian,
 *   flag bits in the first byte), the same as @noble/curves' `toBytes(true)`.
 */
import { concatBytes } from "@noble/curves/utils.js";

/** An Fp12 element as @noble/curves represents it. */
export interface Fp12Like {
  c0: Fp6Like;
  c1: Fp6Like;
}
interface Fp6Like {
  c0: Fp2Like;
  c1: Fp2Like;
  c2: Fp2Like;
}
interface Fp2Like {
  c0: bigint;
  c1: bigint;
}

/** `Vec<u8>`: length as u64 LE, then the bytes. */
export function writeVec(bytes: Uint8Array): Uint8Array {
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(bytes.length), true);
  return concatBytes(len, bytes);
}

/** A reader over serialized bytes that refuses to run past the end. */
export class Reader {
  #at = 0;
  constructor(readonly bytes: Uint8Array, readonly what: string) {}

  take(n: number): Uint8Array {
    if (n < 0 || this.#at + n > this.bytes.length) {
      throw new RangeError(`${this.what}: needs ${n} bytes at ${this.#at}, has ${this.bytes.length - this.#at}`);
    }
    const out = this.bytes.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }

  vec(max = 1 << 20): Uint8Array {
    const len = new DataView(this.take(8).slice().buffer).getBigUint64(0, true);
    if (len > BigInt(max)) throw new RangeError(`${this.what}: a length of ${len} is over ${max}`);
    return this.take(Number(len));
  }

  end(): void {
    if (this.#at !== this.bytes.length) {
      throw new RangeError(`${this.what}: ${this.bytes.length - this.#at} bytes left over`);
    }
  }
}

/** Fp12 in arkworks' canonical (compressed = uncompressed for fields) byte order. */
export function fp12Bytes(x: Fp12Like): Uint8Array {
  const out = new Uint8Array(12 * 48);
  let i = 0;
  for (const fp6 of [x.c0, x.c1]) {
    for (const fp2 of [fp6.c0, fp6.c1, fp6.c2]) {
      for (const fp of [fp2.c0, fp2.c1]) out.set(fpBytes(fp), 48 * i++);
    }
  }
  return out;
}

/** A base-field element (or a scalar, with `length` 32) as little-endian bytes. */
export function fpBytes(x: bigint, length = 48): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Number((x >> BigInt(8 * i)) & 0xffn);
  return out;
}
