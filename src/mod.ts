/**
 * The protocol and the validator, one folder per concept: competitions and their schedule, what
 * miners commit and its hash, SN9's scoring rules, HTTP retries, data (pages and tokenizers),
 * chains, model stores, the validator and its state, the network opener, the leaderboard, the
 * adapter averager, pseudo-gradient competitions. The path of a model through them is drawn in
 * docs/ARCHITECTURE.md (section 3).
 */
export * from "./competitions/mod.ts";
export * from "./metadata/mod.ts";
export * from "./scoring/mod.ts";
export * from "./http/mod.ts";
export * from "./data/mod.ts";
export * from "./chain/mod.ts";
export * from "./hub/mod.ts";
export * from "./validator/mod.ts";
export * from "./network/mod.ts";
export * from "./workers/mod.ts";
export * from "./leaderboard/mod.ts";
export * from "./averager/mod.ts";
export * from "./version.ts";
export * from "./pseudograd/mod.ts";
