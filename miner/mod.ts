/** The miner's commands: publish a model (check, upload, hash, commit). */
export * from "./upload.ts";
