/**
 * The protocol and the validator. So far: competitions as data (src/competitions), what miners
 * commit (src/metadata), the SN9 scoring rules (src/scoring), and dataset definitions (src/data).
 * Path of a model: commitment → parseModelId → competition → engine loss → scoreCompetition →
 * recordCompetitionWeights → subnetWeights → toU16Weights → chain.
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
export * from "./leaderboard/mod.ts";
export * from "./averager/mod.ts";
export * from "./version.ts";
