/** Networks by name: which chain, model store, datasets source, schedule and keys a command gets. */
export * from "./open_network.ts";
export * from "./model_argument.ts";
