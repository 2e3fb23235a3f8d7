/** Evaluation data: the datasets validators draw random pages from. */
export * from "./datasets.ts";
