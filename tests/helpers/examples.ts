/**
 * The examples a newcomer reads: every task's `--help` examples (each task module's exported
 * `command`) and every command of the README's fenced `sh` blocks, as the lines they are, with the
 * task each one runs and its words split as bash would split them.
 */
import type { Command, Example, Flags } from "../../tasks/cli/command.ts";

const ROOT = new URL("../../", import.meta.url);

/** One example, where it comes from, and how the examples test treats it. */
export interface FoundExample {
  /** The line as a user reads it (README continuations joined). */
  line: string;
  /** "deno task eval --help" or "README.md block 3". */
  source: string;
  /** The task it runs ("miner:eval"), or undefined for a line that runs no task (`export HF_TOKEN=…`). */
  task?: string;
  /** The words after `deno task <name>`, up to a redirection, pipe or comment. */
  argv: string[];
  kind: "runs" | "serves" | "checkOnly";
  /** Why it is only checked. */
  why?: string;
}

/** deno.json's tasks: name → the module it runs ("tasks/eval.ts"), "test" → undefined. */
export async function taskModules(): Promise<Map<string, string | undefined>> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const out = new Map<string, string | undefined>();
  for (const [name, command] of Object.entries(config.tasks as Record<string, string>)) {
    out.set(name, /^deno run \S+ (tasks\/\S+\.ts)$/.exec(command)?.[1]);
  }
  return out;
}

/** The exported `command` of a task module. */
export async function taskCommand(module: string): Promise<Command<Flags>> {
  const m = await import(new URL(module, ROOT).href);
  if (!m.command) throw new Error(`${module} exports no command`);
  return m.command;
}

/** Every task's --help examples, in deno.json's order. */
export async function helpExamples(): Promise<FoundExample[]> {
  const out: FoundExample[] = [];
  for (const [name, module] of await taskModules()) {
    if (!module) continue;
    for (const e of (await taskCommand(module)).examples) {
      out.push(classify(e, `deno task ${name} --help`));
    }
  }
  return out;
}

/** The commands of the README's fenced `sh` blocks, continuations joined. */
export async function readmeExamples(): Promise<FoundExample[]> {
  const text = await Deno.readTextFile(new URL("README.md", ROOT));
  const out: FoundExample[] = [];
  let block = 0;
  for (const m of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    block++;
    for (const line of m[1].replace(/\\\n\s*/g, "").split("\n").filter((l) => l.trim())) {
      out.push(classify(line.trim(), `README.md block ${block}`));
    }
  }
  return out;
}

function classify(e: Example, source: string): FoundExample {
  const line = typeof e === "string" ? e : e.line;
  const { task, argv } = splitLine(line);
  const kind = typeof e === "string" ? "runs" : "serves" in e ? "serves" : "checkOnly";
  return { line, source, task, argv, kind, why: typeof e === "object" && "checkOnly" in e ? e.checkOnly : undefined };
}

/**
 * The task and its words in `line`: after `deno task` or `npx -y deno@… task`, up to the first
 * `<`, `>`, `|` or `#`; `VAR=value` prefixes skipped; single and double quotes as bash reads them.
 */
export function splitLine(line: string): { task?: string; argv: string[] } {
  const words: string[] = [];
  const re = /\s*(?:'([^']*)'|"([^"]*)"|([<>|#]|[^\s'"<>|#]+))/g;
  for (const m of line.matchAll(re)) {
    if (m[3] !== undefined && /^[<>|#]$/.test(m[3])) break;
    words.push(m[1] ?? m[2] ?? m[3]);
  }
  let i = 0;
  while (i < words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[i])) i++;
  if (words[i] === "npx" && words[i + 1] === "-y" && /^deno@/.test(words[i + 2] ?? "")) i += 2;
  else if (words[i] !== "deno") return { argv: [] };
  if (words[i + 1] !== "task" || !words[i + 2]) return { argv: [] };
  return { task: words[i + 2], argv: words.slice(i + 3) };
}
