/**
 * `eval --pseudograd`: a submission applied to a checkpoint, θ' = θ − S·decode(Δ), written to a
 * temporary directory that lives only while the evaluation runs. The file is read as strictly as
 * the validator reads it, with the codec it names; a window or base other than the ones given is
 * a warning here, where the validator refuses it.
 */
import { basename } from "node:path";
import { checkModel } from "../../eval/mod.ts";
import {
  hashModelDir,
  layoutOf,
  readSubmission,
  submissionCodec,
  SubmissionRefused,
  writePeerModel,
} from "../../src/mod.ts";

/** Runs `work` on the perturbed model's directory and label, then removes the directory. */
export async function withPseudogradApplied<T>(
  modelDir: string,
  given: { file: string; scale: number; window?: number },
  work: (dir: string, label: string) => Promise<T>,
): Promise<T> {
  const base = await checkModel(modelDir);
  const label = basename(given.file);
  // No codec keeps more values than the model has: a larger file is refused before it is read.
  const cap = 16 * 2 ** 20 + 3 * base.parameterCount;
  const { size } = await Deno.stat(given.file);
  if (size > cap) {
    throw new SubmissionRefused("size", `${label}: ${size} bytes, more than any codec makes for this model`);
  }
  const bytes = await Deno.readFile(given.file);
  const layout = layoutOf(base, submissionCodec(bytes, label));
  const submission = readSubmission(bytes, layout, label);
  const { hash } = await hashModelDir(modelDir);
  if (submission.meta.base !== hash) {
    console.error(`warning: ${label} was computed on ${submission.meta.base}, not on --model (${hash})`);
  }
  if (given.window !== undefined && submission.meta.window !== given.window) {
    console.error(`warning: ${label} is for window ${submission.meta.window}, not ${given.window}`);
  }
  const dir = await Deno.makeTempDir({ prefix: "sn9-pseudograd-" });
  try {
    await writePeerModel(base, { layout, submission, scale: given.scale, outDir: dir });
    return await work(dir, `${base.label} − ${given.scale}·${label}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
