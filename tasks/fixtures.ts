/**
 * `deno task fixtures`: generates every tiny fixture model and the three quality models, and
 * writes a tokens file of bundled text, deterministically.
 */
import { writeFixtures } from "../fixtures/mod.ts";
import { defineCommand, flags, main } from "./cli/mod.ts";

export const command = defineCommand({
  name: "fixtures",
  summary: "Writes the fixture models (tiny ones for every architecture, three quality models) and a tokens file.",
  flags: { out: flags.path("where to write them", { default: ".cache/fixtures" }) },
  examples: ["deno task fixtures", "deno task fixtures --out .cache/my-fixtures"],
  async run({ flags: f }) {
    for (const path of await writeFixtures(f.out)) console.log(path);
  },
});

if (import.meta.main) await main(command);
