/** The embedded local chain on SQLite. */
export * from "./local_chain.ts";
export type { BlockClock } from "./block_clock.ts";
export * from "./params.ts";
