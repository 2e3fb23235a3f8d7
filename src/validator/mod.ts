/** The validator: state, model sync, per-model evaluation, the step, telemetry. */
export * from "./state.ts";
export * from "./sync_models.ts";
export * from "./score_model.ts";
export * from "./evaluate_model.ts";
export * from "./telemetry.ts";
export * from "./run_log.ts";
export * from "./wandb_telemetry.ts";
export * from "./weights_pending.ts";
export * from "./weights_sender.ts";
export * from "./context.ts";
export * from "./turn.ts";
export * from "./step.ts";
export * from "./step_base.ts";
export * from "./iteration.ts";
export * from "./health.ts";
export * from "./budget/mod.ts";
export * from "./step_budget.ts";
