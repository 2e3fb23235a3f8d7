/**
 * `deno task fixtures [--out .cache/fixtures]`: generates every tiny fixture model and the three
 * quality models, and writes a tokens file of bundled text, deterministically.
 */
import { parseArgs } from "node:util";
import { writeFixtures } from "../fixtures/mod.ts";

const { values } = parseArgs({ args: Deno.args, options: { out: { type: "string", default: ".cache/fixtures" } } });
const written = await writeFixtures(values.out);
for (const path of written) console.log(path);
