/**
 * Timelock encryption as the `tle` crate does it (`tle/src/tlock.rs`, `stream_ciphers.rs` at rev
 * 5416406): a fresh 32-byte key encrypts the message with AES-256-GCM (12-byte nonce, no
 * associated data, tag appended), and the key itself is IBE-encrypted to the beacon round's
 * identity (ibe.ts). The ciphertext is arkworks-serialized as subtensor deserializes it:
 *
 *   TLECiphertext { header: { U: G2 (96), V: Vec<u8>, W: Vec<u8> },
 *                   body: Vec<u8> = AESOutput { ciphertext: Vec<u8>, nonce: Vec<u8> },
 *                   cipher_suite: Vec<u8> = "AES_GCM_" }
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { concatBytes } from "@noble/curves/utils.js";
import { Reader, writeVec } from "./ark_serialize.ts";
import { ibeDecrypt, ibeEncrypt } from "./ibe.ts";

/** The only cipher suite the runtime knows. */
export const CIPHER_SUITE = new TextEncoder().encode("AES_GCM_");

/** Encrypts `message` for `identity` (e.g. SHA256 of a drand round) under `publicKey` (G2, compressed). */
export function timelockEncrypt(message: Uint8Array, identity: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const key = new Uint8Array(randomBytes(32));
  const nonce = new Uint8Array(randomBytes(12));
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  const sealed = concatBytes(cipher.update(message), cipher.final(), cipher.getAuthTag());
  const header = ibeEncrypt(key, identity, publicKey);
  const body = concatBytes(writeVec(sealed), writeVec(nonce));
  return concatBytes(header.u, writeVec(header.v), writeVec(header.w), writeVec(body), writeVec(CIPHER_SUITE));
}

/** Decrypts with the beacon's signature for the identity (G1, compressed); throws when it does not open. */
export function timelockDecrypt(ciphertext: Uint8Array, signature: Uint8Array): Uint8Array {
  const r = new Reader(ciphertext, "timelock ciphertext");
  const header = { u: r.take(96), v: r.vec(32), w: r.vec(32) };
  const body = new Reader(r.vec(), "timelock body");
  const suite = r.vec(64);
  r.end();
  if (new TextDecoder().decode(suite) !== "AES_GCM_") {
    throw new RangeError(
      `timelock ciphertext: unknown cipher suite ${JSON.stringify(new TextDecoder().decode(suite))}`,
    );
  }
  const sealed = body.vec(), nonce = body.vec(64);
  body.end();
  if (nonce.length !== 12 || sealed.length < 16) throw new RangeError("timelock body: bad AES-GCM nonce or ciphertext");
  const key = ibeDecrypt(header, signature);
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return concatBytes(decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final());
}
