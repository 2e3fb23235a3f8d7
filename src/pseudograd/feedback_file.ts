/**
 * A miner's error-feedback buffer between windows: a float32 safetensors file with one tensor per
 * parameter of the layout, under the parameter's name and shape. Read with the same strict header
 * rules as any file; a missing file is a first window (an empty buffer).
 */
import { parseSafetensorsHeader, writeSafetensorsFile } from "../../eval/mod.ts";
import type { SubmissionLayout } from "./layout.ts";

/** Reads the buffer at `path`, or an empty one when the file does not exist. */
export async function readFeedbackBuffer(path: string, layout: SubmissionLayout): Promise<Map<string, Float32Array>> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return new Map();
    throw e;
  }
  const shapes = new Map(layout.parameters.map((p) => [p.name, p.geometry.shape]));
  const header = parseSafetensorsHeader(bytes, bytes.length, path, {
    dtypes: { F32: 4 },
    known: (name) => shapes.has(name),
  });
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of shapes) {
    const t = header.tensors.get(name);
    if (!t || t.shape.join() !== shape.join()) {
      throw new RangeError(
        `${path}: the error-feedback buffer ${
          t ? `has "${name}" as ${JSON.stringify(t.shape)}` : `lacks "${name}"`
        }; ` +
          `the model's is ${JSON.stringify(shape)} (was it made for another model?)`,
      );
    }
    out.set(name, new Float32Array(bytes.slice(t.offset, t.offset + t.length).buffer));
  }
  return out;
}

/** Writes the buffer to `path` (atomically: a kill leaves the old one). */
export async function writeFeedbackBuffer(
  path: string,
  layout: SubmissionLayout,
  buffer: ReadonlyMap<string, Float32Array>,
): Promise<void> {
  await writeSafetensorsFile(
    path,
    layout.parameters.map((p) => ({
      name: p.name,
      shape: [...p.geometry.shape],
      values: () => Promise.resolve(buffer.get(p.name)!),
    })),
    { format: "pseudograd-feedback-v1" },
  );
}
