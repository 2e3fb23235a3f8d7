/**
 * Evaluation data: seeded random pages of web-text datasets from the datasets-server API,
 * tokenized and packed exactly as SN9 does, with a manifest that replays them.
 * Path: seedFromBlockHash → PagePlanner → DatasetsServerClient → fetchTaskDocuments →
 * tokenizeDocuments → packSequences → TaskData + EvalManifest (prepareEvalData does it all;
 * prepareCompetitionPages loads a competition's tokenizer first).
 */
export * from "./datasets.ts";
export * from "./seeded_random.ts";
export * from "./page_plan.ts";
export * from "./page_cache.ts";
export * from "./datasets_server.ts";
export * from "./bundled_datasets_server.ts";
export * from "./task_documents.ts";
export * from "./pack.ts";
export * from "./eval_data.ts";
export * from "./competition_pages.ts";
export * from "./tokenizers/mod.ts";
export * from "./pipeline_bench.ts";
