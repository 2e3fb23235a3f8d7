/**
 * The seed every validator derives from the chain, and the random stream that turns it into page
 * choices. Written to be reimplemented exactly in any language:
 *
 *   sync block   = current_block − (current_block mod 150)
 *   seed         = SHA-256(the sync block's 32-byte hash)                       (32 bytes)
 *   draw(label, i) = first 8 bytes, big-endian, of SHA-256(seed ‖ UTF-8(label) ‖ 0x00 ‖ u64be(i))
 *
 * A stream has a label and a counter i starting at 0; each draw consumes one counter value.
 * uniform(n), an integer in [0, n) for 1 ≤ n ≤ 2^53, draws x until x < 2^64 − (2^64 mod n)
 * (rejection, so there is no modulo bias) and returns x mod n.
 */
import { createHash } from "node:crypto";

/** Blocks between validator sync points. */
export const SYNC_INTERVAL = 150;

/** The sync block for a block: the last multiple of 150 at or before it. */
export function syncBlock(block: number): number {
  return block - (block % SYNC_INTERVAL);
}

/** seed = SHA-256(block hash bytes); accepts `0x`-prefixed or bare hex of 32 bytes. */
export function seedFromBlockHash(blockHash: string): Uint8Array {
  return sha256(hexToBytes(blockHash, 32, "block hash"));
}

/** Parses a 32-byte seed written as hex. */
export function seedFromHex(hex: string): Uint8Array {
  return hexToBytes(hex, 32, "seed");
}

/** Hex of bytes, lowercase, no prefix. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A labelled stream of uniform draws from a seed. */
export class SeededStream {
  #counter = 0n;
  constructor(readonly seed: Uint8Array, readonly label: string) {}

  /** The next 64-bit draw. */
  next(): bigint {
    const counter = new Uint8Array(8);
    new DataView(counter.buffer).setBigUint64(0, this.#counter++, false);
    const digest = createHash("sha256").update(this.seed).update(this.label, "utf8").update(new Uint8Array([0])).update(
      counter,
    ).digest();
    return digest.readBigUInt64BE(0);
  }

  /** An integer in [0, n), without modulo bias. */
  uniform(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`uniform(n) needs a positive safe integer, got ${n}`);
    const N = BigInt(n), limit = (1n << 64n) - ((1n << 64n) % N);
    for (;;) {
      const x = this.next();
      if (x < limit) return Number(x % N);
    }
  }
}

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

function hexToBytes(hex: string, length: number, what: string): Uint8Array {
  const clean = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (!new RegExp(`^[0-9a-fA-F]{${2 * length}}$`).test(clean)) {
    throw new SyntaxError(
      `${what} must be ${length} bytes of hex (${2 * length} digits, optional 0x), got ${JSON.stringify(hex)}`,
    );
  }
  return Uint8Array.from({ length }, (_, i) => parseInt(clean.slice(2 * i, 2 * i + 2), 16));
}
