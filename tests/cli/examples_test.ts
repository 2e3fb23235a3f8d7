/**
 * Every example a newcomer reads runs as written: each task's `--help` examples and each command
 * of the README's `sh` blocks. They run in bash, from a scratch directory laid out as a clone after
 * `deno task demo` (the repository's `examples/` and README.md; `./my-model` and `./my-lora` stand
 * for the user's own model and adapter: the demo's charlie and grace), with `deno task <name>` and
 * `npx -y deno@… task <name>` running this checkout's task module, and no Hugging Face, W&B or
 * wallet environment. A line that serves (the demo, the leaderboard, the health port) runs until it
 * prints its URL, which must answer, and must then stop on SIGTERM with exit 0. A line that needs
 * what no test has here (a real network, a GPU, minutes of benchmark) is checked for its flags and
 * its command's `check` rules, and the reason is printed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { EMBEDDED_DEFAULTS, LocalChain } from "../../src/mod.ts";
import { within } from "../helpers/deadline.ts";
import { type FoundExample, helpExamples, readmeExamples, taskModules } from "../helpers/examples.ts";
import { timeLimit } from "../helpers/time_limit.ts";
import { tempDir } from "../helpers/temp.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
/** The order the tasks' examples run in: the demo first (the others read its files), producers before readers. */
const ORDER = [
  "demo",
  "fixtures",
  "tokens",
  "competitions",
  "pages",
  "scoring",
  "yuma",
  "chain",
  "pseudograd",
  "eval",
  "miner:eval",
  "miner:upload",
  "average",
  "validate",
  "serve",
];

Deno.test("examples: every --help example and README command runs as written, or is checked with its reason", async () => {
  timeLimit(900_000);
  const dir = await tempDir("sn9-examples-");
  await Deno.symlink(join(ROOT, "examples"), join(dir, "examples"));
  await Deno.copyFile(join(ROOT, "README.md"), join(dir, "README.md"));
  const env = await cleanEnv(dir);
  const prelude = await bashPrelude();

  const all = [...await helpExamples(), ...await readmeExamples()];
  const examples = plan(all);
  const runs: string[] = [];
  for (const e of examples.filter((e) => e.kind !== "checkOnly")) {
    const started = performance.now();
    if (e.kind === "serves") await serve(e, dir, env);
    else await run(e, dir, env, prelude);
    runs.push(`  ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s  ${e.line.slice(0, 150)}`);
    if (e.task === "demo") {
      // The newcomer's own model and adapter, for the examples that name ./my-model and ./my-lora.
      await copyDir(join(dir, ".cache/demo-run/models/charlie"), join(dir, "my-model"));
      await copyDir(join(dir, ".cache/demo-run/models/grace"), join(dir, "my-lora"));
      await fixEmbeddedChain(dir);
    }
  }

  const checked = examples.filter((e) => e.kind === "checkOnly" && e.task && e.task !== "test");
  const verdicts = await checkFlags(checked, dir);
  for (const [i, e] of checked.entries()) {
    assert.equal(verdicts[i], "ok", `${e.source}: ${e.line}\n  its flags are refused: ${verdicts[i]}`);
  }

  const byKind = (k: string) => examples.filter((e) => e.kind === k);
  console.log(
    `examples: ${all.length} lines (${all.length - examples.length} repeated), ${byKind("runs").length} run, ${
      byKind("serves").length
    } served, ${byKind("checkOnly").length} checked only`,
  );
  console.log(runs.join("\n"));
  for (const e of byKind("checkOnly")) console.log(`  checked only (${e.why}): ${e.line.slice(0, 120)}`);

  // The coverage: every task with a command has examples, and each of its examples was taken.
  const modules = [...(await taskModules()).entries()].filter(([, m]) => m);
  for (const [name] of modules) {
    assert.ok(all.some((e) => e.source === `deno task ${name} --help`), `deno task ${name} --help has no example`);
  }
  assert.ok(all.filter((e) => e.source.startsWith("README")).length >= 8, "the README's command blocks were read");
});

/**
 * The embedded chain the examples share, made before any of them opens it: a fixed genesis on a
 * manual clock, so the pages its examples draw are the same every run. A newcomer's is on a timed
 * clock from a random genesis, so its pages change every block; and a greedy bigram model such as
 * ./my-model (the demo's charlie) fails SN9's degenerate check on about one page draw in six (two
 * prompts that end in the same byte continue alike; eval/sanity.ts), which made `miner:eval
 * --model ./my-model` exit 1 in one run of about six. On this genesis's block 0 charlie passes.
 */
async function fixEmbeddedChain(dir: string): Promise<void> {
  const chain = LocalChain.open(join(dir, EMBEDDED_DEFAULTS.chainDb), {
    clock: { kind: "manual" },
    genesisHash: `0x${(7919).toString(16).padStart(64, "0")}`,
  });
  await chain.close();
}

/** The examples in running order, each line once, README lines classified. */
function plan(all: FoundExample[]): FoundExample[] {
  const seen = new Map<string, FoundExample>();
  for (const e of all) {
    const key = normalise(e.line);
    if (seen.has(key)) continue;
    if (e.source.startsWith("README")) Object.assign(e, readmeKind(e));
    seen.set(key, e);
  }
  const rank = (e: FoundExample) => {
    const i = ORDER.indexOf(e.task ?? "");
    return i < 0 ? ORDER.length : i;
  };
  // Lines that run no task (`export HF_TOKEN=…`) are a reader's setup, not an example.
  return [...seen.values()].filter((e) => e.task).sort((a, b) => rank(a) - rank(b));
}

/** How a README line is taken: it has no marker, so its flags say. */
function readmeKind(e: FoundExample): Pick<FoundExample, "kind" | "why"> {
  if (e.task === "test") return { kind: "checkOnly", why: "the whole suite, this test among it" };
  const network = e.argv[e.argv.findIndex((a) => a === "--network" || a === "--subtensor.network") + 1];
  if (network && e.argv.some((a) => a === "--network" || a === "--subtensor.network") && network !== "embedded") {
    return { kind: "checkOnly", why: "needs the real network" };
  }
  if ((e.task === "serve" || e.task === "demo") && !e.argv.includes("--exit")) return { kind: "serves" };
  return { kind: "runs" };
}

function normalise(line: string): string {
  return line.replace(/^npx -y deno@\S+ /, "deno ").replace(/\s+#.*$/, "").replace(/\s+/g, " ").trim();
}

/** Bash functions: `deno task <name> …` and `npx -y deno@… task <name> …` run this checkout's module. */
async function bashPrelude(): Promise<string> {
  const cases = [...(await taskModules()).entries()].filter(([, m]) => m)
    .map(([name, m]) => `    ${name}) m=${JSON.stringify(join(ROOT, m!))} ;;`).join("\n");
  const deno = JSON.stringify(Deno.execPath());
  return `set -e
deno() {
  if [ "$1" != task ]; then ${deno} "$@"; return; fi
  local m
  case "$2" in
${cases}
    *) echo "no task $2" >&2; return 2 ;;
  esac
  shift 2
  ${deno} run --allow-all --config ${JSON.stringify(join(ROOT, "deno.json"))} "$m" "$@"
}
npx() { if [ "$1" = -y ] && [ "\${2#deno@}" != "$2" ]; then shift 2; deno "$@"; else return 127; fi; }
`;
}

/** The environment of a newcomer with no tokens, keys or wallets: HF's cache and home in the scratch directory. */
async function cleanEnv(dir: string): Promise<Record<string, string>> {
  await Deno.mkdir(join(dir, ".hf"), { recursive: true });
  const keep = ["PATH", "HOME", "LANG", "TMPDIR", "DENO_DIR", "XDG_CACHE_HOME", "NO_COLOR"];
  const env: Record<string, string> = { HF_HOME: join(dir, ".hf"), NO_COLOR: "1" };
  for (const k of keep) {
    const v = Deno.env.get(k);
    if (v !== undefined) env[k] = v;
  }
  return env;
}

/** `command` in the examples' directory with the newcomer's environment and nothing else, its output piped. */
function spawn(command: string[], cwd: string, env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(command[0], {
    args: command.slice(1),
    cwd,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  })
    .spawn();
}

/** A line that runs to its end: exit 0 within its deadline. */
async function run(e: FoundExample, cwd: string, env: Record<string, string>, prelude: string): Promise<void> {
  const child = spawn(["bash", "-c", `${prelude}\n${e.line}`], cwd, env);
  const out = await within(`${e.source}: ${e.line.slice(0, 100)}`, 240_000, child.output(), {
    onExpiry: () => child.kill("SIGKILL"),
  });
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `${e.source}: ${e.line}\n  exited ${out.code}:\n${text.slice(-1500)}`);
}

/** A line that serves: runs until it prints its URL, which answers; SIGTERM then stops it with exit 0. */
async function serve(e: FoundExample, cwd: string, env: Record<string, string>): Promise<void> {
  const module = (await taskModules()).get(e.task!);
  assert.ok(module, `${e.source}: no task ${e.task}`);
  const child = spawn(
    [Deno.execPath(), "run", "--allow-all", "--config", join(ROOT, "deno.json"), join(ROOT, module), ...e.argv],
    cwd,
    env,
  );
  const stderr = new Response(child.stderr).text();
  const lines: string[] = [];
  const what = `${e.source}: ${e.line.slice(0, 100)}`;
  try {
    const url = await within(`${what} to print its URL`, 240_000, async () => {
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      while (true) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`${what}: ended before printing a URL:\n${lines.slice(-20).join("\n")}`);
        buffer += value;
        const parts = buffer.split("\n");
        buffer = parts.pop()!;
        lines.push(...parts);
        const found = parts.map((l) => /https?:\/\/127\.0\.0\.1:\d+\/\S*/.exec(l)?.[0]).find((u) => u);
        if (found) {
          reader.releaseLock();
          void child.stdout.pipeTo(new WritableStream()).catch(() => {});
          return found;
        }
      }
    }, { state: () => `last lines: ${lines.slice(-3).join(" | ")}`, onExpiry: () => child.kill("SIGKILL") });
    const response = await within(`GET ${url}`, 30_000, fetch(url));
    await response.body?.cancel();
    assert.ok(response.ok, `${what}: GET ${url} answered ${response.status}`);
    child.kill("SIGTERM");
    const status = await within(`${what} to stop on SIGTERM`, 15_000, child.status, {
      onExpiry: () => child.kill("SIGKILL"),
    });
    assert.equal(status.code, 0, `${what}: exited ${status.code} on SIGTERM\n${(await stderr).slice(-1500)}`);
  } catch (err) {
    try {
      child.kill("SIGKILL");
    } catch { /* already ended */ }
    throw err;
  }
}

/** The checker's verdict on each line's flags and `check` rules, run where the lines' paths are. */
async function checkFlags(examples: FoundExample[], cwd: string): Promise<string[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--config", join(ROOT, "deno.json"), join(ROOT, "tests/cli/check_examples.ts")],
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(examples.map((e) => ({ task: e.task, argv: e.argv })))));
  await writer.close();
  const out = await within("the flags checker", 120_000, child.output(), { onExpiry: () => child.kill("SIGKILL") });
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l).verdict);
}

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isFile) await Deno.copyFile(join(from, entry.name), join(to, entry.name));
  }
}
