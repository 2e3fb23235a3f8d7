/**
 * The demo path end to end (`deno task demo --json` in a subprocess: its structured summary, not
 * its printed tables), then its outcome read back from the validator's state, its run log and
 * the chain.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { devKey, keyFromUri, LocalChain, ValidatorState } from "../../src/mod.ts";
import { tempDir } from "../helpers/temp.ts";
import type { DemoSummary } from "../../tasks/demo/scenario.ts";

Deno.test("demo: the best model and the helpful adapter win on chain, copies and useless adapters get nothing, bad models are refused with reasons, Yuma pays the winners", async () => {
  const dir = await tempDir("sn9-demo-");
  const demo = new URL("../../tasks/demo.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", demo, "--json", "--dir", dir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr) + stdout.slice(-2000));
  const summary: DemoSummary = JSON.parse(stdout.trim().split("\n").pop()!);
  const total = summary.phases.reduce((a, p) => a + p.seconds, 0);
  console.log(
    `demo: ${total.toFixed(1)} s (${summary.phases.map((p) => `${p.name} ${p.seconds.toFixed(1)} s`).join(", ")})`,
  );
  assert.equal(summary.paid, true);
  assert.equal(summary.paths.state, join(dir, "validator.sqlite"));
  // The summary's leaderboard: bob first with the step weight; the copycat scored but unpaid, and told why.
  const c1 = summary.competitions.find((c) => c.id === 1)!;
  assert.equal(c1.rows[0].miner, "bob");
  assert.ok(c1.rows[0].weight! > 0.99);
  const copy = c1.rows.find((r) => r.miner === "copycat")!;
  assert.equal(copy.loss, c1.rows[0].loss, "the copy has bob's exact loss");
  assert.equal(copy.weight, 0);
  assert.match(
    copy.explanation!,
    /^same loss as uid \d+, committed earlier \(block \d+\): a copy can never win, no weight$/,
  );
  assert.deepEqual(summary.rejected.map((r) => r.miner).sort(), ["ferdie", "mallory", "oscar"]);

  // The adapter competition: the fix beats the base, the no-op and the harmful adapter earn
  // nothing for not beating it, the copy earns nothing as a copy. The fix restores the clean
  // bigram model exactly, so its loss is bob's (same model, same pages in competition 1).
  const c3 = summary.competitions.find((c) => c.id === 3)!;
  const adapter = (m: string) => c3.rows.find((r) => r.miner === m)!;
  assert.ok(c3.baseLoss !== null && c3.baseLoss > adapter("grace").loss!);
  assert.equal(adapter("grace").weight, 1);
  assert.ok(Math.abs(adapter("grace").loss! - c1.rows[0].loss!) < 1e-5, "the fix restores bob's model");
  assert.ok(Math.abs(adapter("heidi").loss! - c3.baseLoss!) < 1e-6, "B = 0 leaves the base as it is");
  assert.equal(adapter("heidi").improvement, c3.baseLoss - adapter("heidi").loss!);
  assert.ok(adapter("ivan").improvement! < 0, "the harmful adapter is worse than the base");
  for (const m of ["heidi", "ivan"]) {
    assert.equal(adapter(m).weight, 0, m);
    assert.match(
      adapter(m).explanation!,
      /^no better than the base \(loss \d+\.\d{4}(, worse by \d+\.\d{4})?\): no weight$/,
    );
  }
  assert.equal(adapter("mimic").weight, 0);
  // The averager merged the paid adapter into the next base: no worse than the base on the step's pages.
  const averaged = summary.averaged!;
  assert.ok(averaged.mergedLoss <= averaged.baseLoss, `${averaged.mergedLoss} > ${averaged.baseLoss}`);
  assert.equal(averaged.baseLoss, c3.baseLoss);
  assert.deepEqual(averaged.adapters, ["grace/sn9-model (share 1.00)"]);
  assert.ok(Math.abs(averaged.mergedLoss - adapter("grace").loss!) < 1e-5, "the merge scores as the adapter did");
  assert.match(adapter("mimic").explanation!, /same loss as uid \d+, committed earlier/);

  // The pseudo-gradient competition over five windows: the global model's held-out loss falls every
  // window; the copier is caught by overlap, the scaler clipped, the zero update gains exactly 0,
  // the broken file is refused by its rule and the late one as late; honest peers end above the
  // generic one, rated (μ − 3σ) and paid.
  assert.equal(summary.windows.length, 5);
  const heldOut = [summary.windows[0].heldOutBefore!, ...summary.windows.map((w) => w.heldOutAfter!)];
  console.log(`demo windows: held-out loss ${heldOut.map((l) => l.toFixed(4)).join(" → ")}`);
  heldOut.slice(1).forEach((l, i) => assert.ok(l < heldOut[i], `window ${i}: ${heldOut.join(" → ")}`));
  const brokenRule = [
    /^invalid: codes: /,
    /^invalid: values: .*NaN/,
    /^invalid: indices: .*twice/,
    /^invalid: header: /,
  ];
  for (const w of summary.windows) {
    const peer = (m: string) => w.peers.find((p) => p.miner === m)!;
    assert.match(peer("cory").reason!, /^copy: 100\.0% of its positions are uid \d+'s \(mega\)$/);
    assert.match(peer("sam").explanation!, /clip 0\.0[0-5]\d*/, `window ${w.window}: the ×20 scaler is clipped`);
    assert.match(peer("zed").explanation!, /^g 0\.000e\+0, b −1,/, "the zero update gains exactly 0");
    assert.match(peer("bea").reason!, brokenRule[w.window % 4]);
    assert.match(peer("lou").reason!, /^late: committed at block \d+, after the deadline$/);
    // Published for the miners, who trained the next window on what they pulled (windows.ts checks the hash).
    assert.match(w.published!, /^sn9\/tiny-pseudograd-global@[0-9a-f]{40}$/, `window ${w.window}: published`);
  }
  assert.equal(new Set(summary.windows.map((w) => w.published)).size, 5, "a commit per window");
  const last = summary.windows.at(-1)!.peers;
  const rated = (m: string) => Number(/ordinal (-?[\d.]+)/.exec(last.find((p) => p.miner === m)!.explanation!)![1]);
  for (const honest of ["pat", "quinn", "rosa"]) {
    assert.ok(rated(honest) > rated("gus"), `${honest} is rated above the generic miner`);
  }
  const paidIn = (m: string) => last.find((p) => p.miner === m)!.weight ?? 0;
  assert.ok(["pat", "quinn", "rosa"].some((m) => paidIn(m) > paidIn("gus")) && paidIn("gus") === 0);

  const chain = LocalChain.open(join(dir, "chain.sqlite"));
  const metagraph = await chain.metagraph(1);
  const addressOf = async (name: string) => (await keyFromUri(`//${name}`)).address;
  const byName = new Map<string, number>();
  for (
    const name of [
      "bob",
      "charlie",
      "dave",
      "walter",
      "eve",
      "ferdie",
      "oscar",
      "mallory",
      "trent",
      "copycat",
      "grace",
      "heidi",
      "ivan",
      "mimic",
    ]
  ) {
    const address = await addressOf(name);
    byName.set(name, metagraph.neurons.find((n) => n.hotkey === address)!.uid);
  }

  // Weights on chain: the validator's row, bob's the largest, the copycat's absent.
  const validator = await devKey("Alice");
  const validatorUid = metagraph.neurons.find((n) => n.hotkey === validator.address)!.uid;
  const row = new Map((await chain.weights(1))[validatorUid]);
  const best = [...row].sort((a, b) => b[1] - a[1])[0][0];
  assert.equal(best, byName.get("bob"));
  assert.ok(!row.has(byName.get("copycat")!) || row.get(byName.get("copycat")!)! === 0, "the copy gets no weight");

  // Yuma paid the winner.
  const paid = (name: string) => metagraph.neurons[byName.get(name)!].emission;
  assert.ok(paid("bob") > 0n, "bob received emission");
  assert.ok(paid("grace") > 0n, "grace received emission");
  for (
    const other of [
      "charlie",
      "dave",
      "walter",
      "eve",
      "copycat",
      "oscar",
      "mallory",
      "ferdie",
      "heidi",
      "ivan",
      "mimic",
    ]
  ) {
    assert.equal(paid(other), 0n, other);
  }

  // Rejections with reasons, in the state and the run log.
  const state = new ValidatorState(join(dir, "validator.sqlite"), { readOnly: true });
  const models = new Map(state.models().map((m) => [m.uid, m]));
  assert.match(models.get(byName.get("oscar")!)!.reason!, /limits: .*parameters exceeds the maximum 2000000/);
  assert.match(models.get(byName.get("mallory")!)!.reason!, /safetensors: .*header length \d+ is longer than the file/);
  assert.match(models.get(byName.get("ferdie")!)!.reason!, /degenerate/);
  const log = (await Deno.readTextFile(join(dir, "run.jsonl"))).split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const reasons = log.flatMap((r) => r.models ?? []).map((m: { reason: string | null }) => m.reason ?? "");
  assert.ok(reasons.some((r: string) => /exceeds the maximum 2000000/.test(r)));
  assert.ok(reasons.some((r: string) => /longer than the file/.test(r)));
  assert.ok(
    log.filter((r) => r.kind === "step").every((r) => r.manifest?.seed?.length === 64),
    "every step record carries its manifest",
  );
  assert.equal(log.filter((r) => r.kind === "window").length, 5, "a W&B row per window");
  state.close();
  await chain.close();
});
