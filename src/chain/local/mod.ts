/** The embedded local chain on SQLite. */
export * from "./local_chain.ts";
export * from "./params.ts";
