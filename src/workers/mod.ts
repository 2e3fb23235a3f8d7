/**
 * Evaluation workers beyond one machine: the queue, what travels on it (jobs and results, a step's
 * token data, a window's sequences), the coordinator's batches of jobs (a step's models, a
 * window's parts) and the worker.
 */
export * from "./queue.ts";
export * from "./messages.ts";
export * from "./sequence_blob.ts";
export * from "./step_data.ts";
export * from "./window_data_blob.ts";
export * from "./jobs_on_queue.ts";
export * from "./coordinator.ts";
export * from "./window_coordinator.ts";
export * from "./window_worker.ts";
export * from "./worker.ts";
