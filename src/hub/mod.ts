/**
 * Model stores: the Hugging Face Hub (through @huggingface/hub) and the embedded local store,
 * behind one interface; header checks before download; verified fetches.
 */
export * from "./model_store.ts";
export * from "./local_store.ts";
export * from "./hf_store.ts";
export * from "./hf_token.ts";
export * from "./inspect.ts";
export * from "./fetch_model.ts";
export * from "./cache_eviction.ts";
