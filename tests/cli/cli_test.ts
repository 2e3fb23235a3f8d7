/**
 * Every task as a newcomer meets it: `--help` prints its usage and exits 0; a mistake on the
 * command line (an unknown flag, a malformed value, a missing argument) prints exactly one line
 * `error: …` on stderr, nothing on stdout, and exits 2; a failure of the work itself (an
 * unreachable node, an input that breaks a rule) prints one line and exits 1. No case may show
 * a stack trace. The cases are the ones issue 14 reproduced (`validate --interval abc`,
 * `--network finny`, `yuma` waiting on a terminal, `SN9_HOTKEY_URI="not a mnemonic"`, …) and at
 * least three per task.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../helpers/temp.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const TASKS = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json"))).tasks as Record<string, string>;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno task <name>`'s script with `args` (stdin: `input` or empty), from a scratch directory. */
async function task(
  name: string,
  args: string[],
  o: { input?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<Run> {
  const script = TASKS[name].split(" ").pop()!;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, script), ...args],
    cwd: o.cwd ?? scratch,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...o.env },
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(o.input ?? ""));
  await w.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const scratch = await tempDir();
const notJson = join(scratch, "not.json");
await Deno.writeTextFile(notJson, "{ this is not json");
const badEpsilon = join(scratch, "eps.json");
await Deno.writeTextFile(
  badEpsilon,
  JSON.stringify({ block: 10, epsilon: { start: "abc", end: 0, decayBlocks: 10 }, models: [] }),
);
const badYuma = join(scratch, "yuma.json");
await Deno.writeTextFile(
  badYuma,
  JSON.stringify({ block: 1, stake: ["x"], weights: {}, lastUpdate: [0], blockAtRegistration: [0] }),
);
const ragged = join(scratch, "ragged.json");
await Deno.writeTextFile(ragged, JSON.stringify([[1, 2, 3], [4]]));
const chainDb = join(scratch, "chain.sqlite");

/** [task, args, expected exit code, what stderr must say, options]. */
type Case = [string, string[], 1 | 2, RegExp, { input?: string; env?: Record<string, string> }?];
const CASES: Case[] = [
  ["validate", ["--interval", "abc"], 2, /^error: --interval must be a positive number of seconds \(got "abc"\)/],
  [
    "validate",
    ["--network", "finny"],
    2,
    /^error: --network must be one of embedded, finney, test, local or a ws:\/\/ URL \(got "finny"\)/,
  ],
  ["validate", ["--subtensor.network", "finney"], 2, /^error: --netuid is required on finney/],
  ["validate", ["--device", "tpu"], 2, /^error: --device: device "tpu" is not one of cpu, cuda, webgpu/],
  ["validate", ["--device", "cuda:0", "--device", "cuda:0"], 2, /^error: --device cuda:0 is given twice/],
  ["validate", ["--device", "cuda", "--workers", "2"], 2, /^error: --workers splits the CPU's cores/],
  [
    "validate",
    ["--network", "ws://127.0.0.1:1", "--netuid", "1", "--once"],
    1,
    /^error: cannot connect to subtensor at ws:\/\/127\.0\.0\.1:1/,
  ],
  [
    "validate",
    ["--once", "--chain-db", chainDb],
    1,
    /^error: SN9_HOTKEY_URI: the secret URI is neither a mnemonic, a 0x seed nor a \/\/derivation \(value withheld\)/,
    { env: { SN9_HOTKEY_URI: "not a mnemonic" } },
  ],
  ["worker", [], 2, /^error: --queue is required: the validator's NATS server, nats:\/\/host:4222/],
  ["worker", ["--queue", "redis://q:6379"], 2, /^error: --queue: the queue URL must look like nats:\/\/host:4222/],
  [
    "worker",
    ["--queue", "nats://q", "--device", "cuda", "--workers", "2"],
    2,
    /^error: --workers splits the CPU's cores/,
  ],
  [
    "worker",
    ["--queue", "nats://127.0.0.1:1", "--queue-creds", "/nonexistent/w.creds"],
    1,
    /^error: cannot read the queue's creds file \/nonexistent\/w\.creds \(NotFound\)/,
  ],
  ["demo", ["--port", "0"], 2, /^error: --port must be a port number 1–65535 \(got "0"\)/],
  ["demo", ["--genesis", "xyz"], 2, /^error: --genesis must be 1–64 lowercase hex digits/],
  ["demo", ["--nope"], 2, /^error: unknown flag --nope/],
  ["miner:upload", ["--model", "/nonexistent/model"], 2, /^error: --model: "\/nonexistent\/model" does not exist/],
  [
    "miner:upload",
    ["--model", scratch, "--repo", "no-slash", "--competition", "1"],
    2,
    /^error: --repo must be namespace\/name/,
  ],
  ["miner:upload", ["--model", scratch], 2, /^error: --model \(or --adapter\), --repo and --competition are required/],
  [
    "miner:upload",
    ["--model", scratch, "--adapter", scratch, "--repo", "a/b", "--competition", "3"],
    2,
    /^error: give --model or --adapter, not both/,
  ],
  ["miner:upload", ["--wallet.path"], 2, /^error: --wallet\.path needs a value/],
  ["miner:eval", ["--batch", "0"], 2, /^error: --batch must be a positive integer up to 4096 \(got "0"\)/],
  ["miner:eval", ["--competition", "-1"], 2, /^error: --competition must be a non-negative integer/],
  ["miner:eval", ["--model", notJson], 2, /^error: --model: ".*not\.json" is a file, not a model directory/],
  ["miner:eval", ["--adapter", "/nonexistent/lora"], 2, /^error: --adapter: "\/nonexistent\/lora" does not exist/],
  ["average", [], 2, /^error: --state, --competition and --out are required/],
  ["average", ["--state", "/nonexistent.sqlite"], 2, /^error: --state: "\/nonexistent\.sqlite" does not exist/],
  ["average", ["--top", "0"], 2, /^error: --top must be a positive integer/],
  [
    "average",
    ["--state", notJson, "--competition", "3", "--out", scratch, "--repo", "no repo"],
    2,
    /^error: --repo must be namespace\/name \(got "no repo"\)/,
  ],
  ["eval", ["--batch", "x"], 2, /^error: --batch must be a positive integer/],
  ["eval", ["--model", scratch], 2, /^error: --tokens is required/],
  ["eval", ["--model", scratch, "--tokens", "/dev/zero"], 2, /^error: --tokens: "\/dev\/zero" is not a regular file/],
  [
    "eval",
    ["--model", scratch, "--tokens", ragged],
    1,
    /^error: --tokens: sequence 1 is not an array of 3 non-negative integers/,
  ],
  ["pages", ["--seed", "xyz"], 2, /^error: --seed: /],
  [
    "pages",
    ["--seed", "ab".repeat(32), "--block-hash", "0x" + "12".repeat(32)],
    2,
    /^error: give exactly one of --seed/,
  ],
  ["pages", ["--pages", "0", "--seed", "ab".repeat(32)], 2, /^error: --pages must be a positive integer/],
  ["pages", ["--dataset", "nope", "--seed", "ab".repeat(32)], 2, /^error: --dataset must be one of falcon/],
  ["scoring", [], 2, /^error: --input is required/],
  ["scoring", ["--input", "/nonexistent.json"], 2, /^error: --input: "\/nonexistent\.json" does not exist/],
  ["scoring", ["--input", notJson], 2, /^error: --input: not JSON/],
  ["scoring", ["--input", badEpsilon], 1, /^error: "epsilon" must have 0 ≤ end ≤ start < 1/],
  ["competitions", ["--block", "-5"], 2, /^error: --block must be a non-negative integer/],
  ["competitions", ["--block", "abc"], 2, /^error: --block must be a non-negative integer \(got "abc"\)/],
  ["competitions", ["--schedule", "/nonexistent.json"], 1, /^error: .*nonexistent\.json/],
  ["yuma", ["--input"], 2, /^error: --input needs a value/],
  ["yuma", [], 2, /^error: --input: not JSON/, { input: "{ nope" }],
  ["yuma", ["--input", badYuma], 1, /^error: "stake"\[0\] must be a non-negative number/],
  ["yuma", ["--input", "-", "extra"], 2, /^error: unexpected argument "extra"/],
  ["chain", [], 2, /^error: expected <metagraph\|commitments\|commit\|set-weights\|register>/],
  ["chain", ["frobnicate"], 2, /^error: "frobnicate" is not one of metagraph, commitments/],
  ["chain", ["commit", "--chain-db", chainDb], 2, /^error: commit needs --data <string>/],
  ["chain", ["set-weights", "--uids", "a,b", "--weights", "1,1"], 2, /^error: --uids must be a comma-separated list/],
  ["serve", ["--port", "99999"], 2, /^error: --port must be a port number 1–65535 \(got "99999"\)/],
  [
    "serve",
    ["--state", "/nonexistent.sqlite"],
    1,
    /^error: no validator state at \/nonexistent\.sqlite: run deno task validate/,
  ],
  ["serve", ["--hostname", ""], 2, /^error: --hostname must not be empty/],
  ["fixtures", ["--out"], 2, /^error: --out needs a value/],
  ["fixtures", ["--bogus"], 2, /^error: unknown flag --bogus/],
  ["fixtures", ["stray"], 2, /^error: unexpected argument "stray"/],
  ["bench", ["--data", "abc"], 2, /^error: --data must be a positive integer/],
  ["bench", ["--models", "nope"], 2, /^error: --models: unknown model "nope"/],
  ["bench", ["--seq", "1"], 2, /^error: --seq must be an integer ≥ 2/],
  ["tokens", ["--seq-len", "1"], 2, /^error: --seq-len must be an integer ≥ 2/],
  ["tokens", ["--input", "/nonexistent.txt"], 2, /^error: --input: "\/nonexistent\.txt" does not exist/],
  ["tokens", ["--seq-len", "1000"], 1, /^error: the text is \d+ tokens, fewer than one sequence of 1000/, {
    input: "short text",
  }],
  ["tokens", ["--tokenizr", "gpt2"], 2, /^error: unknown flag --tokenizr \(did you mean --tokenizer\?\)/],
  ["pseudograd", ["frobnicate"], 2, /^error: "frobnicate" is not one of encode, aggregate, score/],
  ["pseudograd", ["aggregate", "--lr", "fast"], 2, /^error: --lr must be a number ≥ 0 \(got "fast"\)/],
  ["pseudograd", ["aggregate", "--model", scratch], 2, /^error: aggregate needs --model, --out and at least one/],
  ["pseudograd", ["encode", "--codec", '{"chunk": 99}'], 2, /^error: --codec must be an object with exactly/],
  ["pseudograd", ["score", "--input", notJson], 2, /^error: --input: not JSON/],
  ["pseudograd", ["score", "--input", "-"], 1, /^error: "peers" must be an array/, { input: "{}" }],
  [
    "eval",
    ["--model", scratch, "--tokens", ragged, "--pseudograd-scale", "0.5"],
    2,
    /^error: --window and --pseudograd-scale go with --pseudograd/,
  ],
];

/** A run of parallel children, four at a time (the machine has two cores; most time is start-up). */
async function all<T, R>(items: T[], f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  }));
  return out;
}

Deno.test("every task prints its usage with --help and exits 0", async () => {
  const names = Object.keys(TASKS).filter((n) => n !== "test");
  const runs = await all(names, (n) => task(n, ["--help"]));
  names.forEach((name, i) => {
    const r = runs[i];
    assert.equal(r.code, 0, `${name} --help: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^deno task ${name.replace(":", "\\:")}`), name);
    assert.match(r.stdout, /\n {2}-h, --help +print this help/, name);
    assert.match(r.stdout, /\nExamples:\n {2}deno task /, name);
    assert.equal(r.stderr.replace(/^npm warn.*\n/gm, ""), "", name);
  });
});

Deno.test("every task answers malformed input with one line, the right exit code, and no stack trace", async () => {
  const perTask = new Map<string, number>();
  for (const [name] of CASES) perTask.set(name, (perTask.get(name) ?? 0) + 1);
  for (const name of Object.keys(TASKS).filter((n) => n !== "test")) {
    assert.ok((perTask.get(name) ?? 0) >= 3, `${name} needs at least three malformed cases`);
  }
  const runs = await all(CASES, ([name, args, , , o]) => task(name, args, o));
  CASES.forEach(([name, args, code, message], i) => {
    const r = runs[i];
    const label = `${name} ${args.join(" ")}`.slice(0, 120);
    const stderr = r.stderr.replace(/^npm warn.*\n/gm, "");
    assert.equal(r.code, code, `${label}: exit ${r.code}, stderr ${stderr}`);
    assert.equal(stderr.split("\n").filter(Boolean).length, 1, `${label}: one line on stderr, got ${stderr}`);
    assert.match(stderr, message, label);
    assert.doesNotMatch(stderr, /\n\s+at |Uncaught|Stack backtrace/, label);
    if (code === 2) assert.match(stderr, new RegExp(`; see deno task ${name.replace(":", "\\:")} --help\\n$`), label);
    if (code === 2) assert.equal(r.stdout, "", `${label}: nothing on stdout`);
  });
});

Deno.test("--verbose adds the stack trace to a failure, and a terminal on stdin is refused instead of waited on", async () => {
  const r = await task("competitions", ["--schedule", "/nonexistent.json", "--verbose"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error: .*\n.*\n\s+at /);
  // `script` gives the child a real terminal on stdin; without the check yuma would wait for ever.
  const script = await new Deno.Command("sh", { args: ["-c", "command -v script"], stdout: "null" }).output();
  if (!script.success) {
    console.log("skipped the terminal half: util-linux `script` is not installed");
    return;
  }
  const yuma = join(ROOT, TASKS.yuma.split(" ").pop()!);
  const out = await new Deno.Command("script", {
    args: ["-qec", `${Deno.execPath()} run -A ${yuma}`, "/dev/null"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(out.code, 2);
  assert.match(
    new TextDecoder().decode(out.stdout),
    /error: --input - reads standard input, but it is a terminal: pipe the input in/,
  );
});

Deno.test("tokens packs text as validators pack pages: bytes, one EOS after each document, the short tail dropped", async () => {
  // The byte tokenizer's ids are the UTF-8 bytes, and its EOS is 256 (fixtures/byte_tokenizer.ts).
  const r = await task("tokens", ["--tokenizer", "byte", "--seq-len", "4", "--paragraphs"], { input: "abcde\n\nfg" });
  assert.equal(r.code, 0, r.stderr);
  // "abcde" EOS "fg" EOS = 97 98 99 100 | 101 256 102 103 | 256 (dropped).
  assert.deepEqual(JSON.parse(r.stdout), [[97, 98, 99, 100], [101, 256, 102, 103]]);
  assert.match(r.stderr, /^2 sequences of 4 tokens from 2 documents \(9 tokens with EOS, byte, vocabulary 257\)/);
});
