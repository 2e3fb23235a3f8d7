/**
 * PEFT LoRA and DoRA adapters on a base model: the config read strictly (peft_config.ts), the
 * header checks against the base (check_adapter.ts), loading (adapter.ts), and the adapter's
 * tensors as graph values for the dense layers (adapter_graph.ts).
 */
export * from "./peft_config.ts";
export * from "./check_adapter.ts";
export * from "./adapter.ts";
export * from "./adapter_graph.ts";
