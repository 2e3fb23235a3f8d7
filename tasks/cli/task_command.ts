/**
 * How to run a task on this machine, for the commands a task prints: `deno task` where a `deno`
 * is on PATH, otherwise the README's `npx -y deno@<this version> task` (a machine with only Node.js).
 * The `node_modules/.bin` folders that `npx` (npm exec) puts on PATH for its command's lifetime do
 * not count: under `npx -y deno@… task demo` they hold a deno that the user's shell will not have.
 */
import { basename, delimiter, dirname, join } from "node:path";

/** "deno task" or "npx -y deno@2.9.6 task", as this machine can run it. */
export function taskCommand(path: string = Deno.env.get("PATH") ?? ""): string {
  const onPath = path.split(delimiter).some((dir) => {
    if (dir === "" || basename(dir) === ".bin" && basename(dirname(dir)) === "node_modules") return false;
    try {
      return Deno.statSync(join(dir, "deno")).isFile;
    } catch {
      return false;
    }
  });
  return onPath ? "deno task" : `npx -y deno@${Deno.version.deno} task`;
}
