/**
 * The command-line layer every task uses: flags as data with checked values, `--help`, one-line
 * errors with exit codes, the shared network and wallet flags, and progress on stderr.
 */
export * from "./flag.ts";
export * from "./command.ts";
export * from "./network_flags.ts";
export * from "./store_flags.ts";
export * from "./progress.ts";
export * from "./input.ts";
export * from "./submission.ts";
export * from "./task_command.ts";
export * from "./lane_flags.ts";
export * from "./eval_flags.ts";
export * from "./model_flag.ts";
export * from "./stop_signals.ts";
export * from "./did_you_mean.ts";
