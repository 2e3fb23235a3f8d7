import assert from "node:assert/strict";
import { join } from "node:path";
import { evalSequences, writeRandomAdapter } from "../../fixtures/mod.ts";
import { referenceForward } from "../reference/forward.ts";
import { tinyModel } from "../helpers/models.ts";
import { tempDir } from "../helpers/temp.ts";

const EVAL = new URL("../../tasks/eval.ts", import.meta.url).pathname;

async function runEval(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", EVAL, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout), stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("deno task eval --json prints per-sequence losses in input order as the last line", async () => {
  const dir = await tinyModel("qwen2-f32-tied");
  const sequences = await evalSequences(32, 5);
  const tokens = join(await tempDir(), "tokens.json");
  await Deno.writeTextFile(tokens, JSON.stringify(sequences));
  const { code, stdout, stderr } = await runEval(["--model", dir, "--tokens", tokens, "--batch", "2", "--json"]);
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout.trim().split("\n").pop()!);
  const { losses } = await referenceForward(dir, sequences);
  assert.equal(result.losses.length, 5);
  result.losses.forEach((l: number, i: number) =>
    assert.ok(Math.abs(l - losses[i]) / losses[i] < 1e-4, `sequence ${i}`)
  );
});

Deno.test("deno task eval exits 1 with a one-line reason for a bad model or tokens file", async () => {
  const tmp = await tempDir();
  const tokens = join(tmp, "tokens.json");
  await Deno.writeTextFile(tokens, JSON.stringify([[1, 2, 3]]));

  const noModel = await runEval(["--model", tmp, "--tokens", tokens]);
  assert.equal(noModel.code, 1);
  assert.match(noModel.stderr, /^error: .*config.json is missing\n$/);

  const dir = await tinyModel("gpt2-f32-tied");
  await Deno.writeTextFile(tokens, JSON.stringify([[1, 2, 3], [1, 2]]));
  const ragged = await runEval(["--model", dir, "--tokens", tokens]);
  assert.equal(ragged.code, 1);
  assert.match(ragged.stderr, /sequence 1 is not an array of 3 non-negative integers/);

  await Deno.writeTextFile(tokens, JSON.stringify([[1, 2, 999]]));
  const outOfVocab = await runEval(["--model", dir, "--tokens", tokens]);
  assert.equal(outOfVocab.code, 1);
  assert.match(
    outOfVocab.stderr,
    /^error: --tokens: sequence 0 token 2 is 999, outside the model's vocabulary of \d+\n$/,
  );

  const usage = await runEval(["--model", dir]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^error: --tokens is required; see deno task eval --help\n$/);
});

Deno.test("deno task eval --adapter prints per-sequence losses of base + adapter, as the reference merges them", async () => {
  const base = await tinyModel("gpt2-f32-tied");
  const config = JSON.parse(await Deno.readTextFile(join(base, "config.json")));
  const tmp = await tempDir();
  const adapter = join(tmp, "dora");
  await writeRandomAdapter(adapter, config, { rank: 2, alpha: 4, targets: "all-linear", dora: true, seed: 4 });
  const sequences = await evalSequences(32, 3);
  const tokens = join(tmp, "tokens.json");
  await Deno.writeTextFile(tokens, JSON.stringify(sequences));
  const { code, stdout, stderr } = await runEval(["--model", base, "--adapter", adapter, "--tokens", tokens, "--json"]);
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout.trim().split("\n").pop()!);
  assert.equal(result.adapter, "dora");
  const { losses } = await referenceForward(base, sequences, { adapter });
  result.losses.forEach((l: number, i: number) =>
    assert.ok(Math.abs(l - losses[i]) / losses[i] < 1e-4, `sequence ${i}`)
  );

  await Deno.writeTextFile(join(adapter, "adapter_config.json"), "{}");
  const bad = await runEval(["--model", base, "--adapter", adapter, "--tokens", tokens]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error: .*adapter_config\.json: peft_type = undefined: only "LORA" is read\n$/);
});
