/**
 * Safetensors headers and shard indexes: parsed strictly and validated, without loading tensor
 * bytes; and float32 tensor reading and writing for tools that produce models.
 */
export * from "./header.ts";
export * from "./index.ts";
export * from "./tensor_io.ts";
export * from "./assemble.ts";
