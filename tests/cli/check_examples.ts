/**
 * Run by tests/cli/examples_test.ts in the examples' directory (paths in flags are checked from
 * there): reads `[{task, argv}]` as JSON on stdin and prints, per example, "ok" or the usage
 * error its flags or its command's `check` rules give, one JSON line each.
 */
import { parse } from "../../tasks/cli/command.ts";
import { taskCommand, taskModules } from "../helpers/examples.ts";

const wanted: { task: string; argv: string[] }[] = JSON.parse(await new Response(Deno.stdin.readable).text());
const modules = await taskModules();
for (const { task, argv } of wanted) {
  let verdict = "ok";
  try {
    const module = modules.get(task);
    if (!module) throw new Error(`no task ${task} with a command in deno.json`);
    const command = await taskCommand(module);
    command.check?.(parse(command, argv));
  } catch (e) {
    verdict = (e as Error).message;
  }
  console.log(JSON.stringify({ task, argv, verdict }));
}
