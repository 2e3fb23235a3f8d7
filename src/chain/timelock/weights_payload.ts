/**
 * What a timelocked weights commit encrypts: subtensor's `WeightsTlockPayload`
 * (`pallets/subtensor/src/coinbase/reveal_commits.rs`), SCALE-encoded:
 *   { hotkey: Vec<u8> (the 32-byte public key), uids: Vec<u16>, values: Vec<u16>, version_key: u64 }
 * The runtime decodes it after decryption and sets the weights only when `hotkey` is the committer.
 */
import { compactLength } from "../commit_reveal.ts";
import { u8aConcat } from "@polkadot/util";
import { decodeAddress } from "@polkadot/util-crypto";

/** The weights a timelocked commit carries. */
export interface WeightsTlockPayload {
  hotkey: string;
  uids: number[];
  values: number[];
  versionKey: number;
}

/** SCALE bytes of the payload. */
export function encodeWeightsPayload(p: WeightsTlockPayload): Uint8Array {
  const key = decodeAddress(p.hotkey);
  const u16s = (xs: number[]) => {
    const body = new Uint8Array(xs.length * 2);
    xs.forEach((x, i) => new DataView(body.buffer).setUint16(2 * i, x, true));
    return u8aConcat(compactLength(xs.length), body);
  };
  const version = new Uint8Array(8);
  new DataView(version.buffer).setBigUint64(0, BigInt(p.versionKey), true);
  return u8aConcat(compactLength(key.length), key, u16s(p.uids), u16s(p.values), version);
}

/** Decodes the payload; throws `RangeError` on anything but exactly one well-formed payload. */
export function decodeWeightsPayload(
  bytes: Uint8Array,
): { hotkey: Uint8Array; uids: number[]; values: number[]; versionKey: bigint } {
  let at = 0;
  const need = (n: number) => {
    if (at + n > bytes.length) throw new RangeError("weights payload ends early");
  };
  const compact = () => {
    need(1);
    const mode = bytes[at] & 3;
    if (mode === 0) return bytes[at++] >> 2;
    if (mode === 1) {
      need(2);
      const v = (bytes[at] | (bytes[at + 1] << 8)) >> 2;
      at += 2;
      return v;
    }
    if (mode === 2) {
      need(4);
      const v = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0, true) >>> 2;
      at += 4;
      return v;
    }
    throw new RangeError("weights payload: length too large");
  };
  const vecU16 = () => {
    const n = compact();
    need(2 * n);
    const out = Array.from(
      { length: n },
      (_, i) => new DataView(bytes.buffer, bytes.byteOffset + at + 2 * i, 2).getUint16(0, true),
    );
    at += 2 * n;
    return out;
  };
  const keyLength = compact();
  need(keyLength);
  const hotkey = bytes.slice(at, at + keyLength);
  at += keyLength;
  const uids = vecU16(), values = vecU16();
  need(8);
  const versionKey = new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigUint64(0, true);
  at += 8;
  if (at !== bytes.length) throw new RangeError(`weights payload has ${bytes.length - at} trailing bytes`);
  return { hotkey, uids, values, versionKey };
}
