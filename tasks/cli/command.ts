/**
 * The one way every task reads its command line and ends: `--help`/`-h` prints the usage (each
 * flag, its default, examples); `--version` the project's and the engine's versions; an unknown
 * flag or a bad value prints one line and exits 2; an error from the work prints one line and
 * exits 1 (the stack only with `--verbose`); success exits 0 unless the command returns another
 * code.
 */
import { parseArgs } from "node:util";
import { formatReason } from "../../eval/mod.ts";
import { VERSION } from "../../src/mod.ts";
import { didYouMean } from "./did_you_mean.ts";
import { type Flag, UsageError } from "./flag.ts";

/** A flag set: name (without dashes) → flag. */
export type Flags = Record<string, Flag<unknown>>;

/** The parsed values of a flag set. */
export type Values<F extends Flags> = { [K in keyof F]: F[K] extends Flag<infer T> ? T : never };

/** A task's command line and its work. */
export interface Command<F extends Flags> {
  /** As typed after `deno task`. */
  name: string;
  summary: string;
  /** Positional arguments, if any, in the usage line ("<metagraph|commitments|…>"). */
  positionals?: { usage: string; choices?: readonly string[]; min?: number; max?: number };
  flags: F;
  /** Run as written by the examples test (tests/cli/examples_test.ts), or checked only, with why. */
  examples: Example[];
  /** Extra lines after the flags in --help (environment variables, notes). */
  notes?: string[];
  /**
   * The rules between flags that need nothing outside this process (a flag another requires, a
   * combination that cannot work). `main` runs it before `run`; the examples test runs it on every
   * example, including those it cannot run here. Throws `UsageError`.
   */
  check?(args: { flags: Values<F>; positionals: string[] }): void;
  run(args: { flags: Values<F>; positionals: string[] }): Promise<number | void>;
}

/**
 * A `--help` example: a line a user can type as is (in bash, from the repository's root, after
 * `deno task demo`). A plain string runs as written in the examples test. `serves`: it runs until
 * it prints its URL, which must answer, then stops on SIGTERM with exit 0. `checkOnly` says why one
 * cannot run there (a real network, minutes of work); its flags and `check` rules are checked.
 */
export type Example = string | { line: string; serves: true } | { line: string; checkOnly: string };

/** An example's command line. */
export function exampleLine(e: Example): string {
  return typeof e === "string" ? e : e.line;
}

/** A command, typed from its flags, to run with `main` or to parse elsewhere (tests of its examples). */
export function defineCommand<F extends Flags>(command: Command<F>): Command<F> {
  return command;
}

/** Parses `argv` against `command`, runs it, and exits the process with its code. */
export async function main<F extends Flags>(command: Command<F>, argv: string[] = Deno.args): Promise<never> {
  const verbose = argv.includes("--verbose");
  let parsed: { flags: Values<F>; positionals: string[] };
  try {
    if (argv.includes("--help") || argv.includes("-h")) {
      console.log(helpText(command));
      Deno.exit(0);
    }
    if (argv.includes("--version")) {
      console.log(await versionLine());
      Deno.exit(0);
    }
    parsed = parse(command, argv.filter((a) => a !== "--verbose"));
    command.check?.(parsed);
  } catch (e) {
    console.error(`error: ${oneLine(e)}; see deno task ${command.name} --help`);
    Deno.exit(2);
  }
  let code = 0;
  try {
    code = (await command.run(parsed)) ?? 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${oneLine(e)}; see deno task ${command.name} --help`);
      Deno.exit(2);
    }
    console.error(`error: ${oneLine(e)}`);
    if (verbose && e instanceof Error && e.stack) console.error(e.stack);
    code = 1;
  }
  Deno.exit(code);
}

/** "sn9-deno 0.19.0 (onnxruntime 1.30.0, deno 2.9.6)": what `--version` prints. */
export async function versionLine(): Promise<string> {
  // Loaded only here: the runtime's native library is not needed to print a version otherwise.
  const ort = await import("onnxruntime-node");
  return `sn9-deno ${VERSION} (onnxruntime ${ort.env.versions.common}, deno ${Deno.version.deno})`;
}

/** Parses without running: the flags' values and the positionals. Throws `UsageError`. */
export function parse<F extends Flags>(
  command: Command<F>,
  argv: string[],
): { flags: Values<F>; positionals: string[] } {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {};
  for (const [name, f] of Object.entries(command.flags)) {
    const option = f.multiple ? { type: f.type, multiple: true } : { type: f.type };
    options[name] = option;
    for (const alias of f.aliases ?? []) options[alias] = option;
  }
  // `--block -5`: a value that starts with a dash is still the value of a flag that takes one
  // (node's parseArgs calls it ambiguous), so the flag's own rule can say what is wrong with it.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith("--") ? argv[i].slice(2) : undefined;
    const next = argv[i + 1];
    if (
      name && options[name]?.type === "string" && next?.startsWith("-") && !(next.slice(2) in options) && next !== "-h"
    ) {
      args.push(`${argv[i]}=${next}`);
      i++;
    } else args.push(argv[i]);
  }
  let raw: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    raw = parseArgs({ args, options, allowPositionals: command.positionals !== undefined, strict: true });
  } catch (e) {
    const m = /Unknown option '([^']+)'/.exec((e as Error).message);
    if (m) {
      const given = m[1].replace(/^-+/, "").split("=")[0];
      throw new UsageError(`unknown flag ${m[1]}${didYouMean(given, Object.keys(options), "--")}`);
    }
    const v = /Option '([^']+)'.* argument missing/.exec((e as Error).message);
    if (v) throw new UsageError(`${v[1].split(",").pop()!.trim().split(" ")[0]} needs a value`);
    const p = /Unexpected argument '([^']+)'/.exec((e as Error).message);
    if (p) throw new UsageError(`unexpected argument ${JSON.stringify(p[1]).slice(0, 60)}`);
    throw new UsageError((e as Error).message.split("\n")[0]);
  }
  const values: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(command.flags)) {
    const given = [name, ...(f.aliases ?? [])].filter((n) => raw.values[n] !== undefined);
    if (given.length > 1) throw new UsageError(`--${given[0]} and --${given[1]} are the same flag; give it once`);
    values[name] = f.parse(
      given.length ? raw.values[given[0]] as string | boolean | string[] : undefined,
      `--${given[0] ?? name}`,
    );
  }
  const p = command.positionals;
  if (p) {
    const n = raw.positionals.length;
    if (n < (p.min ?? 0) || n > (p.max ?? Infinity)) {
      throw new UsageError(
        `expected ${p.usage}${
          n ? `, got ${raw.positionals.map((x) => JSON.stringify(x).slice(0, 40)).join(" ")}` : ""
        }`,
      );
    }
    const bad = p.choices ? raw.positionals.find((x) => !p.choices!.includes(x)) : undefined;
    if (bad !== undefined) {
      throw new UsageError(
        `${JSON.stringify(bad).slice(0, 40)} is not one of ${p.choices!.join(", ")}${didYouMean(bad, p.choices!)}`,
      );
    }
  }
  for (const f of Object.values(command.flags)) f.relate?.(values);
  return { flags: values as Values<F>, positionals: raw.positionals };
}

/** The --help text. */
export function helpText<F extends Flags>(c: Command<F>): string {
  const rows = Object.entries(c.flags).map(([name, f]) => {
    const names = [name, ...(f.aliases ?? [])].map((n) => `--${n}`).join(", ");
    const left = `  ${names}${f.placeholder ? ` ${f.placeholder}` : ""}`;
    return [left, `${f.description}${f.defaultText !== undefined ? ` (default: ${f.defaultText})` : ""}`];
  });
  rows.push(
    ["  --verbose", "print the stack trace of an error"],
    ["  --version", "print the project's and the ONNX Runtime's versions"],
    ["  -h, --help", "print this help"],
  );
  const width = Math.min(44, Math.max(...rows.map(([l]) => l.length)) + 2);
  return [
    `deno task ${c.name}${c.positionals ? ` ${c.positionals.usage}` : ""} [flags]`,
    "",
    c.summary,
    "",
    "Flags:",
    ...rows.map(([l, r]) => (l.length < width ? l.padEnd(width) + r : `${l}\n${" ".repeat(width)}${r}`)),
    ...(c.notes?.length ? ["", ...c.notes] : []),
    "",
    "Examples:",
    ...c.examples.map((e) => `  ${exampleLine(e)}`),
  ].join("\n");
}

/** An error as one bounded line, control characters escaped (the engine's reason formatter). */
export function oneLine(e: unknown): string {
  return formatReason(e instanceof Error ? e.message : String(e), 400);
}
