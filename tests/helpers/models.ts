/** Fixture models for tests, generated once per test process into a temporary directory. */
import { join } from "node:path";
import {
  fitText,
  type Quality,
  QUALITY_CONFIG,
  qualityParameters,
  TINY_MODELS,
  writeModelFiles,
  writeQualityModel,
  writeTinyModel,
} from "../../fixtures/mod.ts";
import type { TensorData } from "../../fixtures/mod.ts";
import { tempDir } from "./temp.ts";

let root: Promise<string> | undefined;
const written = new Map<string, Promise<string>>();

function once(name: string, write: (dir: string) => Promise<void>): Promise<string> {
  if (!written.has(name)) {
    written.set(
      name,
      (async () => {
        root ??= tempDir("sn9-fixtures-");
        const dir = join(await root, name);
        await write(dir);
        return dir;
      })(),
    );
  }
  return written.get(name)!;
}

/** The directory of a tiny fixture model by name (see fixtures/tiny_models.ts). */
export function tinyModel(name: string): Promise<string> {
  const def = TINY_MODELS.find((d) => d.name === name);
  if (!def) throw new RangeError(`no tiny model "${name}"`);
  return once(name, (dir) => writeTinyModel(def, dir));
}

/** The directory of a quality model fitted to the bundled text. */
export function qualityModel(q: Quality): Promise<string> {
  return once(`quality-${q}`, async (dir) => writeQualityModel(q, await fitText(), dir));
}

/** A one-off model built from edited quality-model parameters. */
export function customQualityModel(name: string, edit: (params: TensorData[]) => void): Promise<string> {
  return once(name, async (dir) => {
    const params = qualityParameters("unigram", await fitText());
    edit(params);
    await writeModelFiles(dir, { config: QUALITY_CONFIG, tensors: params, dtype: "F32" });
  });
}
