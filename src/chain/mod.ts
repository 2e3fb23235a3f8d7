/**
 * The chain: one `Chain` interface and subtensor's epoch arithmetic (chain.ts), the embedded local
 * chain (SQLite, Yuma Consensus each tempo, commit-reveal v2 and timelocked), the subtensor client
 * over polkadot-js, commit-reveal hashing, drand timelock encryption, keys, and Yuma Consensus as a
 * pure function.
 */
export * from "./chain.ts";
export * from "./commit_reveal.ts";
export * from "./timelock/mod.ts";
export * from "./keys.ts";
export * from "./yuma/mod.ts";
export * from "./local/mod.ts";
export * from "./subtensor/mod.ts";
