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

Deno.test("taskCommand() does not count the node_modules/.bin that npx puts on PATH for its own command", async () => {
  // `npx -y deno@2.9.6 task demo` runs the task with ~/.npm/_npx/<hash>/node_modules/.bin first on
  // PATH (npm exec's run-script); a user's shell afterwards has no deno there.
  const npxBin = join(await tempDir("sn9-npx-"), "node_modules", ".bin");
  await Deno.mkdir(npxBin, { recursive: true });
  await Deno.writeTextFile(join(npxBin, "deno"), "");
  assert.equal(taskCommand(npxBin), `npx -y deno@${Deno.version.deno} task`);
});
