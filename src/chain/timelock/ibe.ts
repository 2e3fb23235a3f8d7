/**
 * Boneh–Franklin identity-based encryption (FullIdent) on BLS12-381 as the `tle` crate does it
 * (ideal-lab5/timelock `tle/src/ibe/fullident.rs` at rev 5416406, the revision subtensor and
 * bittensor-drand build): identities hash to G1 (drand quicknet's signature group), the master
 * public key and the ciphertext's U live in G2, and the identity's secret key is the beacon's
 * BLS signature on the identity. Only a 32-byte message (the AES key) is encrypted this way.
 *
 *   encrypt(m, P_pub, id): σ = SHA256(t) for a random scalar t (32 bytes LE); r = H3(σ, m);
 *     U = r·G2; V = σ ⊕ H2(e(Q_id, r·P_pub)); W = m ⊕ H4(σ)
 *   decrypt(U, V, W, sig): σ = V ⊕ H2(e(sig, U)); m = W ⊕ H4(σ); check U = H3(σ, m)·G2
 *   H2(g) = SHA256(arkworks bytes of g ∈ GT); H3(a, b) = SHA256(a ‖ b) big-endian mod r;
 *   H4(a) = SHA256(a) cut to |a|.
 * The pairing and hash-to-curve are @noble/curves'.
 */
import { createHash, randomBytes } from "node:crypto";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { fp12Bytes, fpBytes } from "./ark_serialize.ts";

const { G1, G2, fields } = bls12_381;
const ORDER = fields.Fr.ORDER;

/** Drand quicknet's hash-to-G1 domain separation tag (ideal-lab5 `curves/drand.rs` QUICKNET_CTX). */
export const QUICKNET_DST = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";

/** A G1 point as @noble/curves gives it. */
export type G1Point = ReturnType<typeof G1.hashToCurve>;

/** The IBE header: U (96 bytes compressed), V and W (32 bytes each). */
export interface IbeCiphertext {
  u: Uint8Array;
  v: Uint8Array;
  w: Uint8Array;
}

/** The identity's point Q_id: its message hashed to G1. */
export function identityPoint(message: Uint8Array): G1Point {
  return G1.hashToCurve(message, { DST: QUICKNET_DST });
}

/** Encrypts a 32-byte `message` to `identity` under the beacon's public key (G2, compressed). */
export function ibeEncrypt(message: Uint8Array, identity: Uint8Array, publicKey: Uint8Array): IbeCiphertext {
  if (message.length !== 32) throw new RangeError(`IBE encrypts 32 bytes, got ${message.length}`);
  const pPub = G2.Point.fromBytes(publicKey);
  const t = fields.Fr.create(BigInt("0x" + randomBytes(48).toString("hex")));
  const sigma = sha256(fpBytes(t, 32));
  const r = h3(sigma, message);
  const u = G2.Point.BASE.multiply(r);
  const gId = bls12_381.pairing(identityPoint(identity), pPub.multiply(r));
  return { u: u.toBytes(true), v: xor(sigma, sha256(fp12Bytes(gId))), w: xor(message, sha256(sigma)) };
}

/** Decrypts with the identity's secret key (the beacon's signature, G1 compressed); throws when it does not open. */
export function ibeDecrypt(c: IbeCiphertext, signature: Uint8Array): Uint8Array {
  const u = G2.Point.fromBytes(c.u);
  const sig = G1.Point.fromBytes(signature);
  if (c.v.length !== 32 || c.w.length !== 32) throw new RangeError("IBE ciphertext V and W must be 32 bytes");
  const sigma = xor(c.v, sha256(fp12Bytes(bls12_381.pairing(sig, u))));
  const message = xor(c.w, sha256(sigma));
  if (!G2.Point.BASE.multiply(h3(sigma, message)).equals(u)) {
    throw new RangeError("the signature does not open this ciphertext (wrong round or not a timelock ciphertext)");
  }
  return message;
}

function h3(a: Uint8Array, b: Uint8Array): bigint {
  const r = BigInt("0x" + createHash("sha256").update(a).update(b).digest("hex")) % ORDER;
  return r === 0n ? 1n : r; // r = 0 has probability 2^-255; noble refuses a zero multiplier
}

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((x, i) => x ^ b[i]);
}
