/** The miner commands' one rule about what they are given: a model or an adapter, as the competition takes. */
import type { Competition } from "../../src/mod.ts";
import { UsageError } from "./flag.ts";

/**
 * Throws `UsageError` when `--adapter` is given to a model competition, `--model` to an adapter
 * one, or either to a pseudo-gradient competition.
 */
export function checkSubmissionKind(c: Competition, adapter: boolean): void {
  if (c.kind === "pseudograd") {
    throw new UsageError(
      `competition ${c.id} (${c.name}) takes pseudo-gradients each window: see deno task pseudograd encode`,
    );
  }
  if (adapter && c.kind !== "adapter") {
    throw new UsageError(`competition ${c.id} (${c.name}) takes full models: give --model, not --adapter`);
  }
  if (!adapter && c.kind === "adapter") {
    throw new UsageError(
      `competition ${c.id} (${c.name}) takes PEFT adapters on ${c.adapter.base.repo}: give --adapter, not --model`,
    );
  }
}
