/**
 * The chain: one `Chain` interface, the embedded local chain (SQLite, Yuma Consensus each
 * tempo), commit-reveal hashing, keys, and Yuma Consensus as a pure function.
 */
export * from "./chain.ts";
export * from "./commit_reveal.ts";
export * from "./timelock/mod.ts";
export * from "./keys.ts";
export * from "./yuma/mod.ts";
export * from "./local/mod.ts";
export * from "./subtensor/mod.ts";
