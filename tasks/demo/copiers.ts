/**
 * The demo's copiers: after a competition's first step, each re-uploads that competition's best
 * entry under its own hotkey, so the next step shows a later copy earning nothing.
 */
import { join } from "node:path";
import type { StepSummary } from "../../src/mod.ts";
import { copy } from "./copy_dir.ts";
import type { DemoModel } from "./models.ts";
import type { Publisher } from "./publisher.ts";
import { modelsDir } from "./workspace.ts";

const COPIES = [
  { copier: "copycat", original: "bob", competitionId: 1, what: "model" },
  { copier: "mimic", original: "grace", competitionId: 3, what: "adapter" },
];

/** The copiers' names (they register with the miners). */
export const COPIERS: readonly string[] = COPIES.map((c) => c.copier);

/** Publishes each copy once, after the first step of the copied competition. */
export class Copiers {
  #copied = new Set<number>();

  /** Copies from `models` through `publisher`. */
  constructor(readonly publisher: Publisher, readonly models: DemoModel[]) {}

  /** Publishes the copy of `step`'s competition if it is that competition's first step. */
  async afterStep(step: StepSummary | null): Promise<void> {
    const copier = COPIES.find((c) => c.competitionId === step?.competition.id);
    if (!step || !copier || this.#copied.has(copier.competitionId)) return;
    const original = this.models.find((m) => m.miner === copier.original)!;
    const dir = join(modelsDir(this.publisher.net.paths.dir), copier.copier);
    await copy(original.dir, dir);
    await this.publisher.publish(
      copier.copier,
      dir,
      step.competition,
      (block) => `${copier.original}'s ${copier.what}, committed at block ${block}`,
    );
    this.#copied.add(copier.competitionId);
  }
}
