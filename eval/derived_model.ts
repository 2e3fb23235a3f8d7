/**
 * A model directory derived from a checked base, for tools that produce models (the averager's
 * merge, a pseudo-gradient step): one float32 `model.safetensors` with the tensors given, the
 * base's `config.json`, and whichever of the tokenizer files the base has.
 */
import { join } from "node:path";
import type { CheckedModel } from "./model.ts";
import { OPTIONAL_MODEL_FILES } from "./files/mod.ts";
import { SINGLE_FILE, type TensorToWrite, writeSafetensorsFile } from "./safetensors/mod.ts";

/** Writes `tensors` and the base's config and tokenizer files into `outDir` (created). */
export async function writeDerivedModel(
  base: CheckedModel,
  outDir: string,
  tensors: readonly TensorToWrite[],
): Promise<void> {
  await Deno.mkdir(outDir, { recursive: true });
  await writeSafetensorsFile(join(outDir, SINGLE_FILE), tensors, { format: "pt" });
  await Deno.writeFile(
    join(outDir, "config.json"),
    await base.files.read("config.json", 0, base.files.size("config.json")!),
  );
  for (const f of OPTIONAL_MODEL_FILES) {
    try {
      await Deno.copyFile(join(base.dir, f), join(outDir, f));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
}
