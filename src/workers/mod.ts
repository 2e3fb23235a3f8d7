/** Evaluation workers beyond one machine: the queue, what travels on it, the coordinator and the worker. */
export * from "./queue.ts";
export * from "./messages.ts";
export * from "./step_data.ts";
export * from "./coordinator.ts";
export * from "./worker.ts";
