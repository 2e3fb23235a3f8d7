/** Safetensors headers: parse, validate and merge shards, without loading tensor bytes. */
export * from "./header.ts";
export * from "./sharded.ts";
