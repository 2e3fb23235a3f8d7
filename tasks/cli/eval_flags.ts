/**
 * The flags that say where and how wide one evaluation runs, shared by `eval`, `miner:eval` and
 * `average` (the validator's own take several devices: lane_flags.ts).
 */
import { DEVICES } from "../../eval/mod.ts";
import { flags } from "./flag.ts";

/** `--device` and `--batch`, with the command's default batch. */
export function evalFlags(defaultBatch: number) {
  return {
    device: flags.choice("where the model runs", DEVICES, { default: "cpu" }),
    batch: flags.int("sequences per run", { default: defaultBatch, min: 1, max: 4096 }),
  };
}
