/** What a miner commits: the metadata string, and the hotkey-bound hash of a model's files. */
export * from "./model_id.ts";
export * from "./model_hash.ts";
