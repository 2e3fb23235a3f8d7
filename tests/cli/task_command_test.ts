/** The commands tasks print use the form that runs here: `deno task` with deno on PATH, the README's npx form without. */
import assert from "node:assert/strict";
import { delimiter, join } from "node:path";
import { taskCommand } from "../../tasks/cli/mod.ts";
import { tempDir } from "../helpers/temp.ts";

Deno.test("taskCommand() is `deno task` with a deno on PATH, `npx -y deno@<version> task` without", async () => {
  const withDeno = await tempDir("sn9-path-"), without = await tempDir("sn9-path-");
  await Deno.writeTextFile(join(withDeno, "deno"), "");
  assert.equal(taskCommand([without, withDeno].join(delimiter)), "deno task");
  assert.equal(taskCommand(without), `npx -y deno@${Deno.version.deno} task`);
  assert.equal(taskCommand(""), `npx -y deno@${Deno.version.deno} task`);
});
