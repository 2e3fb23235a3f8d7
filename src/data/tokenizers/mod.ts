/** Tokenizers: the bundled "gpt2" and "byte", local directories, and Hugging Face repos. */
export * from "./bundled.ts";
export * from "./byte_level.ts";
export * from "./load.ts";
