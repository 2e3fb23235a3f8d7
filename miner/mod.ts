/** The miner's commands: publish a model (check, upload, hash, commit) and preflight it. */
export * from "./upload.ts";
export * from "./preflight.ts";
