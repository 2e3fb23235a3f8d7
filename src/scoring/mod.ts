/**
 * SN9 scoring rules as pure functions: epsilon decay, the competitive filter, pairwise wins,
 * softmax weights, the per-competition moving average, reward-share combination and the chain's
 * u16 weights. Deterministic for equal inputs in any order.
 */
export * from "./models.ts";
export * from "./epsilon.ts";
export * from "./competitive.ts";
export * from "./wins.ts";
export * from "./weights.ts";
export * from "./process_weights.ts";
export * from "./tracker.ts";
export * from "./score_competition.ts";
export * from "./what_if.ts";
export * from "./explain.ts";
