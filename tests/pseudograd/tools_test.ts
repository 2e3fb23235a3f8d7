/**
 * `deno task pseudograd` and `eval --pseudograd` as a miner and a validator run them, in their own
 * processes: two miners encode against one checkpoint (one with an error-feedback file it keeps),
 * the aggregate of the same files in either order is the same checkpoint with the same hash, it
 * loads as a model, and a file made on another checkpoint or broken by hand is refused with its
 * rule in one line; `score` gives OpenSkill's worked window 1; `eval --pseudograd` at scale 0 gives the
 * checkpoint's own losses.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkModel } from "../../eval/mod.ts";
import { hashModelDir } from "../../src/metadata/mod.ts";
import { qualityModel } from "../helpers/models.ts";
import { runScript } from "../helpers/process.ts";
import { tempDir } from "../helpers/temp.ts";

const pseudograd = (args: string[]) => runScript(["tasks/pseudograd.ts", ...args], { timeoutMs: 120_000 });
/** `pseudograd encode` of `model` against `base` for `window`, with an error-feedback file when given. */
const encode = (o: { base: string; model: string; out: string; window?: number; state?: string }) =>
  pseudograd([
    "encode",
    ...["--base", o.base, "--model", o.model, "--out", o.out, "--window", String(o.window ?? 0)],
    ...(o.state ? ["--state", o.state] : []),
  ]);

Deno.test("pseudograd encode → aggregate: the same files in any order make the same checkpoint; bad files are refused", async () => {
  const work = await tempDir("sn9-pseudograd-cli-");
  const base = await qualityModel("unigram"),
    bigram = await qualityModel("bigram"),
    random = await qualityModel("random");
  const a = join(work, "a.safetensors"), b = join(work, "b.safetensors"), ef = join(work, "ef.safetensors");
  const enc = await encode({ base, model: bigram, out: a, window: 3, state: ef });
  assert.equal(enc.code, 0, enc.lines.join("\n"));
  assert.match(enc.lines.join("\n"), /wrote .*a\.safetensors: \d+ bytes, \d+ parameters, \d+ values kept, window 3/);
  const efFirst = await Deno.readFile(ef);
  assert.equal((await encode({ base, model: random, out: b, window: 3 })).code, 0);

  const one = join(work, "one"), two = join(work, "two");
  const aggregate = (files: string[], out: string) =>
    pseudograd(["aggregate", "--model", base, ...files.flatMap((f) => ["--pseudograd", f]), "--out", out, "--json"]);
  const r1 = await aggregate([a, b], one), r2 = await aggregate([b, a], two);
  assert.equal(r1.code, 0, r1.lines.join("\n"));
  const [m1, m2] = [r1, r2].map((r) => JSON.parse(r.lines.find((l) => l.startsWith("{"))!));
  assert.equal(m1.result, m2.result, "the order of the files does not change the checkpoint");
  assert.equal(m1.result, (await hashModelDir(one)).hash, "the manifest names the checkpoint's model hash");
  assert.equal(m1.parent, (await hashModelDir(base)).hash);
  assert.deepEqual(m1.peers.map((p: { label: string }) => p.label).sort(), ["a.safetensors", "b.safetensors"]);
  const next = await checkModel(one);
  assert.deepEqual([...next.params.keys()], [...(await checkModel(base)).params.keys()]);

  // A second window with the kept buffer: the buffer changes, and the file still reads.
  const enc2 = await encode({ base, model: bigram, out: a, window: 4, state: ef });
  assert.equal(enc2.code, 0);
  assert.notDeepEqual(await Deno.readFile(ef), efFirst, "the error-feedback buffer carries the residual");

  // Made on another checkpoint: refused by its base.
  const other = join(work, "other.safetensors");
  assert.equal((await encode({ base: bigram, model: base, out: other })).code, 0);
  const refused = await pseudograd(["aggregate", "--model", base, "--pseudograd", other, "--out", join(work, "x")]);
  assert.equal(refused.code, 1);
  const err = refused.lines.filter((l) => l.startsWith("error:"));
  assert.equal(err.length, 1, refused.lines.join("\n"));
  assert.match(err[0], /other\.safetensors: computed on .*, not on --model/);

  // A code byte past the bins: refused by its rule, naming the tensor.
  const broken = join(work, "broken.safetensors");
  const bytes = await Deno.readFile(b);
  bytes[bytes.length - 1] = 9; // the last tensor in the file is a .vals
  await Deno.writeFile(broken, bytes);
  const bad = await pseudograd(["aggregate", "--model", base, "--pseudograd", broken, "--out", join(work, "y")]);
  assert.equal(bad.code, 1);
  assert.match(bad.lines.join("\n"), /error: broken\.safetensors: ".*\.vals"\[\d+\] is 9, not below 4 bins/);
  await Deno.remove(work, { recursive: true });
});

Deno.test("pseudograd score: OpenSkill's worked window 1 from losses", async () => {
  const work = await tempDir("sn9-pseudograd-score-");
  const input = join(work, "window.json");
  await Deno.writeTextFile(
    input,
    JSON.stringify({
      random_before: 4,
      peers: [
        { uid: 1, own_before: 3, own_after: 2.99, random_after: 3.9916 },
        { uid: 2, own_before: 3, own_after: 2.98, random_after: 3.986 },
        { uid: 3, own_before: 3, own_after: 3, random_after: 4.0016 },
      ],
    }),
  );
  const r = await pseudograd(["score", "--input", input, "--json"]);
  assert.equal(r.code, 0, r.lines.join("\n"));
  const { peers } = JSON.parse(r.lines.find((l) => l.startsWith("{"))!);
  assert.ok(Math.abs(peers[1].ordinal - 2.695645) < 1e-6, `b's ordinal ${peers[1].ordinal}`);
  assert.ok(Math.abs(peers[0].final - 0.0564) < 1e-4);
  assert.equal(peers[2].weight, 0);
  const table = await pseudograd(["score", "--input", input]);
  assert.match(table.lines.join("\n"), /^\s+2\s+3\.500e-3\s+\+1\s+0\.0500\s+27\.4562/m);
  await Deno.remove(work, { recursive: true });
});

Deno.test("eval --pseudograd at scale 0 gives the checkpoint's own losses; a window mismatch is a warning", async () => {
  const work = await tempDir("sn9-pseudograd-eval-");
  const base = await qualityModel("unigram");
  const file = join(work, "p.safetensors"), tokens = join(work, "tokens.json");
  await Deno.writeTextFile(
    tokens,
    JSON.stringify([[72, 101, 108, 108, 111, 32, 119, 111], [116, 104, 101, 32, 99, 97, 116, 32]]),
  );
  const bigram = await qualityModel("bigram");
  assert.equal(
    (await encode({ base, model: bigram, out: file, window: 2 })).code,
    0,
  );
  const evalTask = (extra: string[]) =>
    runScript(["tasks/eval.ts", "--model", base, "--tokens", tokens, "--json", ...extra], { timeoutMs: 120_000 });
  const plain = await evalTask([]),
    zero = await evalTask(["--pseudograd", file, "--pseudograd-scale", "0", "--window", "5"]);
  const moved = await evalTask(["--pseudograd", file, "--pseudograd-scale", "0.2"]);
  const losses = (r: { lines: string[] }) => JSON.parse(r.lines.find((l) => l.startsWith("{"))!).losses as number[];
  assert.deepEqual(losses(zero), losses(plain));
  assert.notDeepEqual(losses(moved), losses(plain));
  assert.ok(zero.lines.some((l) => /warning: p\.safetensors is for window 2, not 5/.test(l)), zero.lines.join("\n"));
  await Deno.remove(work, { recursive: true });
});
