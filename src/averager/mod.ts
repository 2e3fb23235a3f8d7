/** The averager: the best adapters of a finished step merged into the next base (merge_adapters.ts, average_step.ts). */
export * from "./merge_adapters.ts";
export * from "./average_step.ts";
