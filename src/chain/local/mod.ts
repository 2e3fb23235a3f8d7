/** The embedded local chain on SQLite. */
export * from "./local_chain.ts";
export type { BlockClock } from "./clock_kind.ts";
export * from "./params.ts";
