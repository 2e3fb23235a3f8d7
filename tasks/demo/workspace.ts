/** The demo's working directory: where each of its files lives, and a clean start in it. */
import { join } from "node:path";
import type { DemoSummary } from "./summary.ts";

/** Where the demo's chain, validator state, run log, model store and caches live under `dir`. */
export function demoPaths(dir: string): DemoSummary["paths"] {
  return {
    dir,
    chain: join(dir, "chain.sqlite"),
    state: join(dir, "validator.sqlite"),
    runLog: join(dir, "run.jsonl"),
    store: join(dir, "store"),
    cache: join(dir, "cache"),
  };
}

/** Where the demo writes the models it publishes, the copiers' copies and the averager's merge. */
export function modelsDir(dir: string): string {
  return join(dir, "models");
}

/** Empties `dir`: a previous run's chain and state would change the story. */
export async function emptyDir(dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
}
