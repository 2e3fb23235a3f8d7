/** The chain: Yuma Consensus so far (the Chain interface, local chain and subtensor client follow). */
export * from "./yuma/mod.ts";
