/**
 * Pseudo-gradient competitions (PSEUDOGRAD.md, Templar's Gauntlet and SN38): so far the codec —
 * chunking, top-k, 12-bit index packing, value quantisation — and the peers' aggregate.
 */
export * from "./chunking.ts";
export * from "./topk.ts";
export * from "./pack12.ts";
export * from "./quantize.ts";
export * from "./aggregate.ts";
export * from "./codec.ts";
export * from "./openskill.ts";
