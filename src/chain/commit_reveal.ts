/**
 * Commit-reveal v2 of subtensor: a validator first commits
 *   hash = blake2-256(SCALE(AccountId32 hotkey, u16 netuid, Vec<u16> uids, Vec<u16> values,
 *                           Vec<u16> salt, u64 version_key))
 * and reveals the values `revealPeriodEpochs` epochs later (`values` is `RevealPayload.weights`).
 * Vec<u16> is a compact length then little-endian u16s; u16 and u64 are little-endian.
 */
import { u8aConcat } from "@polkadot/util";
import { blake2AsU8a, decodeAddress } from "@polkadot/util-crypto";
import type { RevealPayload } from "./chain.ts";

/** SCALE compact encoding of a length (single-, two- and four-byte modes). */
export function compactLength(n: number): Uint8Array {
  if (n < 1 << 6) return new Uint8Array([n << 2]);
  if (n < 1 << 14) return new Uint8Array([((n << 2) | 1) & 0xff, (n >> 6) & 0xff]);
  if (n < 1 << 30) {
    const v = (n << 2) | 2;
    return new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]);
  }
  throw new RangeError(`length ${n} is too large`);
}

/**
 * The bytes that are hashed: `payload` in subtensor's field order, after the SS58 `hotkey` that
 * signs the reveal (the hash binds the weights to their validator, so no other can reveal them).
 */
export function commitPayload(hotkey: string, payload: RevealPayload): Uint8Array {
  const u16s = (xs: number[]) => {
    const body = new Uint8Array(xs.length * 2);
    xs.forEach((x, i) => new DataView(body.buffer).setUint16(2 * i, x, true));
    return [compactLength(xs.length), body];
  };
  const net = new Uint8Array(2);
  new DataView(net.buffer).setUint16(0, payload.netuid, true);
  const version = new Uint8Array(8);
  new DataView(version.buffer).setBigUint64(0, BigInt(payload.versionKey), true);
  return u8aConcat(
    decodeAddress(hotkey),
    net,
    ...u16s(payload.uids),
    ...u16s(payload.weights),
    ...u16s(payload.salt),
    version,
  );
}

/** The commit hash of subtensor's commit-reveal v2, for `hotkey` (SS58) to reveal `payload` later. */
export function commitHash(hotkey: string, payload: RevealPayload): Uint8Array {
  return blake2AsU8a(commitPayload(hotkey, payload), 256);
}
