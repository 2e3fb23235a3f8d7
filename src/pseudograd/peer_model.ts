/**
 * One peer's update applied alone: θ' = θ − scale·decode(Δ), the model a validator measures a
 * submission by (Templar evaluates θ − 1.0·0.2·clip(Δ); `deno task eval --pseudograd` takes the
 * scale as given). Written as a float32 checkpoint, so the engine evaluates it like any model.
 */
import type { CheckedModel } from "../../eval/mod.ts";
import { denseUpdate } from "./decode.ts";
import { writeUpdatedModel } from "./global_model.ts";
import type { SubmissionLayout } from "./layout.ts";
import type { Submission } from "./submission.ts";

/** Writes θ − scale·decode(submission) into `outDir`. */
export async function writePeerModel(
  base: CheckedModel,
  { layout, submission, scale, outDir }: {
    layout: SubmissionLayout;
    submission: Submission;
    scale: number;
    outDir: string;
  },
): Promise<void> {
  const updates = new Map<string, Float64Array>();
  for (const p of layout.parameters) updates.set(p.name, denseUpdate(p, submission.parameters.get(p.name)!));
  await writeUpdatedModel(base, updates, { scale, outDir });
}
