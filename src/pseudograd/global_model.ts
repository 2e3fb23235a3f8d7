/**
 * The global model a pseudo-gradient competition trains: its parameters as a submission layout,
 * read by their names in the checkpoint, and a new checkpoint θ' = θ − scale·update written as a
 * loadable Hugging Face model (float32, the base's tensor names, its config and tokenizer files).
 * θ' is formed in float64 and rounded to float32 once, so a perturbation of 1e-4 relative
 * survives it.
 */
import { type CheckedModel, toFloat32, type WeightRef, writeDerivedModel } from "../../eval/mod.ts";
import type { CodecSettings } from "./codec.ts";
import { type SubmissionLayout, submissionLayout } from "./layout.ts";

/** The checkpoint's stored parameters, by their names in its files. */
export function storedParameters(model: CheckedModel): Map<string, WeightRef> {
  return new Map([...model.params.values()].map((ref) => [ref.name, ref]));
}

/** The submission layout of `model` under `codec` (throws `RangeError` naming a parameter it cannot carry). */
export function layoutOf(model: CheckedModel, codec: CodecSettings): SubmissionLayout {
  return submissionLayout([...storedParameters(model).values()], codec);
}

/** One stored parameter's values as float32, row-major. */
export async function readParameter(model: CheckedModel, ref: WeightRef): Promise<Float32Array> {
  return toFloat32(await model.files.read(ref.fileName, ref.offset, ref.offset + ref.length), ref.dtype);
}

/** Every stored parameter's values as float32, by name (the model's size in memory, as float32). */
export async function readParameters(model: CheckedModel): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const ref of storedParameters(model).values()) out.set(ref.name, await readParameter(model, ref));
  return out;
}

/** Writes θ − scale·update into `outDir`; a parameter without an update is copied as it is. */
export async function writeUpdatedModel(
  base: CheckedModel,
  updates: ReadonlyMap<string, ArrayLike<number>>,
  { scale, outDir }: { scale: number; outDir: string },
): Promise<void> {
  if (!Number.isFinite(scale)) throw new RangeError(`the update's scale ${scale} is not a finite number`);
  const tensors = [...storedParameters(base).values()].map((ref) => ({
    name: ref.name,
    shape: ref.shape,
    values: async () => {
      const theta = await readParameter(base, ref);
      const u = updates.get(ref.name);
      if (!u) return theta;
      if (u.length !== theta.length) {
        throw new RangeError(`parameter "${ref.name}": the update has ${u.length} values, the model ${theta.length}`);
      }
      return Float32Array.from(theta, (x, i) => x - scale * u[i]);
    },
  }));
  await writeDerivedModel(base, outDir, tensors);
}
