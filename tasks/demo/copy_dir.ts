/** Copying a model directory, for the demo's copiers. */
import { join } from "node:path";

/** Copies the files of a flat directory (a model directory) from `from` into `to`. */
export async function copy(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) if (e.isFile) await Deno.copyFile(join(from, e.name), join(to, e.name));
}
