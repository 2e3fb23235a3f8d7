/**
 * One peer's update applied alone: θ' = θ − scale·c·decode(Δ), the model a validator measures a
 * submission by (Templar evaluates θ − 1.0·0.2·clip(Δ), c the parameter's clip factor;
 * `deno task eval --pseudograd` takes the scale as given and clips nothing). Written as a float32 checkpoint, so the engine evaluates it like any model.
 */
import { type CheckedModel, type SparseValues, writeDerivedModel } from "../../eval/mod.ts";
import { sparseValues, subtractSparse } from "./decode.ts";
import { readParameter, storedParameters } from "./global_model.ts";
import type { SubmissionLayout } from "./layout.ts";
import type { Submission } from "./submission.ts";

/** One peer's update as it is applied: its submission, the scale, and each parameter's clip factor (default 1). */
export interface PeerUpdate {
  layout: SubmissionLayout;
  submission: Submission;
  scale: number;
  factors?: ReadonlyMap<string, number>;
}

/**
 * Writes θ − scale·factor·decode(submission) into `outDir`, with each parameter's clip factor
 * (default 1). Only the kept slots are touched (a submission keeps 1.6% of the weights at
 * Templar's 64 of 4096), each rounded to float32 once.
 */
export async function writePeerModel(
  base: CheckedModel,
  { layout, submission, scale, outDir, factors }: PeerUpdate & { outDir: string },
): Promise<void> {
  if (!Number.isFinite(scale)) throw new RangeError(`the update's scale ${scale} is not a finite number`);
  const byName = new Map(layout.parameters.map((p) => [p.name, p]));
  const tensors = [...storedParameters(base).values()].map((ref) => ({
    name: ref.name,
    shape: ref.shape,
    values: async () => {
      const theta = await readParameter(base, ref), p = byName.get(ref.name);
      if (p) subtractSparse(theta, p, submission.parameters.get(p.name)!, { scale, factor: factors?.get(p.name) ?? 1 });
      return theta;
    },
  }));
  await writeDerivedModel(base, outDir, tensors);
}

/**
 * The same θ' as positions and values, for a session that replaces them (eval/sparse_update.ts):
 * each kept slot's θ − scale·factor·decode(Δ), rounded to float32 once as `writePeerModel` rounds
 * it, read from `theta` (the global model's parameters as float32, by stored name).
 */
export function peerReplacements(
  theta: ReadonlyMap<string, Float32Array>,
  { layout, submission, scale, factors }: PeerUpdate,
): Map<string, SparseValues> {
  if (!Number.isFinite(scale)) throw new RangeError(`the update's scale ${scale} is not a finite number`);
  const out = new Map<string, SparseValues>();
  for (const p of layout.parameters) {
    const t = theta.get(p.name);
    if (!t) throw new RangeError(`no values of parameter "${p.name}"`);
    out.set(p.name, sparseValues(t, p, submission.parameters.get(p.name)!, { scale, factor: factors?.get(p.name) }));
  }
  return out;
}
