/** Safetensors headers and shard indexes: parsed strictly and validated, without loading tensor bytes. */
export * from "./header.ts";
export * from "./index.ts";
