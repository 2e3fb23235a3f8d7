/**
 * A model's files as the engine may read them: the `ModelFiles` reader (a local directory, or a
 * remote revision behind ranged reads), which files make up a model and the cap on their bytes,
 * and every check that needs no tensor bytes.
 */
export * from "./model_files.ts";
export * from "./file_set.ts";
export * from "./byte_cap.ts";
export * from "./local_files.ts";
export * from "./check_files.ts";
export * from "./graph_files.ts";
