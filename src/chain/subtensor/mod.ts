/** Subtensor through @polkadot/api, and the metadata-driven codec it shares with offline tests. */
export * from "./codec.ts";
export * from "./networks.ts";
export * from "./subtensor_chain.ts";
export * from "./submit.ts";
