/**
 * A local randomness beacon for the embedded chain: drand's construction (BLS signatures in G1 on
 * SHA256(round) with quicknet's hash-to-curve, public key in G2) with its own secret key, so the
 * embedded network can run timelocked commit-reveal end to end offline. Real networks use drand
 * quicknet, whose pulses the runtime stores (pallet_drand).
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { roundIdentity } from "./drand.ts";
import { identityPoint } from "./ibe.ts";

/** A beacon key pair. */
export interface LocalBeacon {
  secretKey: bigint;
  publicKey: Uint8Array;
}

/** A beacon from a secret scalar (any non-zero value; reduced mod the group order). */
export function localBeacon(secretKey: bigint): LocalBeacon {
  const sk = bls12_381.fields.Fr.create(secretKey) || 1n;
  return { secretKey: sk, publicKey: bls12_381.G2.Point.BASE.multiply(sk).toBytes(true) };
}

/** The beacon's pulse signature for a round (G1, compressed), as drand publishes it. */
export function beaconSignature(beacon: LocalBeacon, round: number): Uint8Array {
  return identityPoint(roundIdentity(round)).multiply(beacon.secretKey).toBytes(true);
}
