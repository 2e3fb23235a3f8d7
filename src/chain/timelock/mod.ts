/**
 * Timelocked commit-reveal: weights encrypted to a future drand round (tle's construction,
 * checked against its WASM build and real quicknet pulses in tests/chain/timelock_test.ts), the
 * SDK's reveal-round rule, and a local beacon for the embedded chain.
 */
export * from "./drand.ts";
export * from "./ibe.ts";
export * from "./tlock.ts";
export * from "./weights_payload.ts";
export * from "./beacon.ts";
