/**
 * Pseudo-gradient competitions in the validator: a window's submissions from the chain and the
 * store, its data from block hashes, the turn that evaluates it and keeps its standing, and its
 * checkpoints published for miners and workers.
 */
export * from "./window_data.ts";
export * from "./window_files.ts";
export * from "./window_publish.ts";
export * from "./window_turn.ts";
export * from "./window_workers.ts";
