/**
 * Model stores: the Hugging Face Hub (through @huggingface/hub), the HF cache read offline, and
 * the embedded local store, behind one interface; the HF conventions (endpoint, cache, token,
 * offline); resumable downloads; header checks before download; verified fetches; eviction of
 * this program's own cache entries.
 */
export * from "./model_store.ts";
export * from "./hf_env.ts";
export * from "./local_store.ts";
export * from "./hf_download.ts";
export * from "./hf_store.ts";
export * from "./hf_cache_store.ts";
export * from "./download_meter.ts";
export * from "./inspect.ts";
export * from "./fetch_model.ts";
export * from "./repo_file.ts";
export * from "./tokenizer_repo.ts";
export * from "./cache_eviction.ts";
export * from "./download_bench.ts";
