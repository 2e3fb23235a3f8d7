/**
 * The evaluation budget (SN9's): which models each step evaluates, so a step's cost stays bounded
 * however many miners commit: a few kept from the last step, new commitments, retries the
 * epsilon rule allows, and the models other validators weight.
 */
export * from "./settings.ts";
export * from "./retry.ts";
export * from "./keep.ts";
export * from "./top_miners.ts";
export * from "./plan.ts";
export * from "./after_step.ts";
