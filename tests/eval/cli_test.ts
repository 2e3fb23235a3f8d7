import assert from "node:assert/strict";
import { join } from "node:path";
import { evalSequences, writeRandomAdapter } from "../../fixtures/mod.ts";
import { referenceForward } from "../reference/forward.ts";
import { tinyModel } from "../helpers/models.ts";
import { within } from "../helpers/deadline.ts";
import { tempDir } from "../helpers/temp.ts";
import { startHub } from "../standins/hub.ts";
import { HfModelStore, localModelFileSet } from "../../src/mod.ts";

const EVAL = new URL("../../tasks/eval.ts", import.meta.url).pathname;

/** `deno task eval` in its own process, killed if it runs past two minutes. */
async function runEval(args: string[], env?: Record<string, string>) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", EVAL, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = await within(`eval ${args.join(" ").slice(0, 80)}`, 120_000, child.output(), {
    onExpiry: () => child.kill("SIGKILL"),
  });
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

// huggingface_hub's `snapshot_download(repo_id, revision=…)` and `from_pretrained("ns/name")`:
// a repo id resolves through HF_ENDPOINT into the cache under HF_HOME, and HF_HUB_OFFLINE=1
// reads that cache alone (huggingface_hub constants.py, file_download.py).
Deno.test("deno task eval --model ns/name@revision fetches the repo into the HF cache; offline, it reads the cache", async () => {
  const h = startHub();
  try {
    const src = await tinyModel("llama-f32-tied");
    const commit = await new HfModelStore({ hubUrl: h.url, accessToken: "hf_test_token" }).upload({
      repo: "tester/tiny",
      dir: src,
      paths: await localModelFileSet(src),
      private: false,
    });
    const tokens = join(await tempDir(), "tokens.json");
    await Deno.writeTextFile(tokens, JSON.stringify(await evalSequences(32, 3)));
    const home = await tempDir();
    const env = { HF_ENDPOINT: h.url, HF_HOME: home, HF_TOKEN: "" };
    const losses = (r: { stdout: string }) => JSON.parse(r.stdout.trim().split("\n").pop()!).losses as number[];

    const local = await runEval(["--model", src, "--tokens", tokens, "--json"]);
    const online = await runEval(["--model", "tester/tiny@main", "--tokens", tokens, "--json"], env);
    assert.equal(online.code, 0, online.stderr);
    assert.deepEqual(losses(online), losses(local), "the repo's files are the directory's");
    const snapshot = join(home, "hub", "models--tester--tiny", "snapshots", commit);
    assert.ok((await Deno.stat(join(snapshot, "config.json"))).isFile, "the snapshot is in $HF_HOME/hub");

    const offline = await runEval(["--model", `tester/tiny@${commit}`, "--tokens", tokens, "--json"], {
      ...env,
      HF_ENDPOINT: "http://127.0.0.1:9", // nothing listens: only the cache can answer
      HF_HUB_OFFLINE: "1",
    });
    assert.equal(offline.code, 0, offline.stderr);
    assert.deepEqual(losses(offline), losses(local));
    // huggingface_hub writes refs/main when it resolves a branch, so offline the branch name works too.
    const offlineByBranch = await runEval(["--model", "tester/tiny@main", "--tokens", tokens, "--json"], {
      ...env,
      HF_ENDPOINT: "http://127.0.0.1:9",
      HF_HUB_OFFLINE: "1",
    });
    assert.equal(offlineByBranch.code, 0, offlineByBranch.stderr);
    assert.deepEqual(losses(offlineByBranch), losses(local));

    const bad = await runEval(["--model", "not a repo", "--tokens", tokens], env);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
    assert.match(bad.stderr, /--model: "not a repo" is neither a directory nor a Hub repo id/);
    const missing = await runEval(["--model", "tester/absent", "--tokens", tokens], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /tester\/absent/);
  } finally {
    await h.close();
  }
});
