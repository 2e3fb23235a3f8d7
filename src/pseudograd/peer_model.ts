/**
 * One peer's update applied alone: θ' = θ − scale·c·decode(Δ), the model a validator measures a
 * submission by (Templar evaluates θ − 1.0·0.2·clip(Δ), c the parameter's clip factor;
 * `deno task eval --pseudograd` takes the scale as given and clips nothing). Written as a float32 checkpoint, so the engine evaluates it like any model.
 */
import type { CheckedModel } from "../../eval/mod.ts";
import { denseUpdate } from "./decode.ts";
import { writeUpdatedModel } from "./global_model.ts";
import type { SubmissionLayout } from "./layout.ts";
import type { Submission } from "./submission.ts";

/** Writes θ − scale·factor·decode(submission) into `outDir`, with each parameter's clip factor (default 1). */
export async function writePeerModel(
  base: CheckedModel,
  { layout, submission, scale, outDir, factors }: {
    layout: SubmissionLayout;
    submission: Submission;
    scale: number;
    outDir: string;
    factors?: ReadonlyMap<string, number>;
  },
): Promise<void> {
  const updates = new Map<string, Float64Array>();
  for (const p of layout.parameters) {
    const dense = denseUpdate(p, submission.parameters.get(p.name)!);
    const f = factors?.get(p.name) ?? 1;
    updates.set(p.name, f === 1 ? dense : dense.map((x) => f * x));
  }
  await writeUpdatedModel(base, updates, { scale, outDir });
}
