/**
 * `miner:eval --state`: a model is scored on the pages of the state's latest step of the
 * competition (its seed and block), the pages its leaders were scored on, not on the current
 * chain's; a state whose step is past the chain's head is warned about as likely another chain's.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { LocalChain, ValidatorState } from "../../src/mod.ts";
import { qualityModel } from "../helpers/models.ts";
import { runScript } from "../helpers/process.ts";
import { tempDir } from "../helpers/temp.ts";

/** A state with one completed step of competition 1 at block 9000, seed `seed`, led by uid 1 at loss 2.5. */
function stateWithStep(path: string, seed: string): string {
  const s = new ValidatorState(path);
  const step = s.startStep(9000, 1, seed, { seed, tasks: [] }, 0);
  s.recordEval({
    stepId: step,
    hotkey: "h1",
    uid: 1,
    competitionId: 1,
    repo: "leader/model",
    revision: "1".repeat(40),
    commitBlock: 10,
    loss: 2.5,
    taskLosses: { falcon: 2.5 },
    status: "ok",
    reason: null,
    loadMs: 5,
    computeMs: 50,
  });
  s.finishStep(step, [{
    hotkey: "h1",
    winRate: 1,
    wins: 0,
    epsilon: 0.0001,
    weight: 1,
    excluded: null,
    explanation: "alone",
  }], {
    1: { 1: 1 },
  }, 9000);
  s.close();
  return path;
}

Deno.test("miner:eval --state scores on the state's step's pages and warns about a state from another chain", async () => {
  const root = await tempDir("sn9-miner-state-");
  const chainDb = join(root, "chain.sqlite");
  await LocalChain.open(chainDb, { clock: { kind: "manual" }, genesisHash: `0x${"7".padStart(64, "0")}` }).close();
  const model = await qualityModel("bigram");
  const run = (extra: string[]) =>
    runScript([
      "tasks/miner_eval.ts",
      "--model",
      model,
      "--competition",
      "1",
      "--chain-db",
      chainDb,
      "--cache-dir",
      join(root, "cache"),
      ...extra,
    ], {
      timeoutMs: 180_000,
    });
  const loss = (r: { lines: string[] }) => JSON.parse(r.lines.find((l) => l.startsWith("{"))!).loss as number;
  const a = stateWithStep(join(root, "a.sqlite"), "a1".repeat(32));
  const b = stateWithStep(join(root, "b.sqlite"), "b2".repeat(32));

  const withA = await run(["--state", a]);
  const text = withA.lines.join("\n");
  assert.match(text, /scored on the pages of the state's step 1 \(block 9000\), as its leaders were/);
  assert.match(
    text,
    /warning: the state's step 1 is at block 9000, past this chain's block 0: is the state from another chain\?/,
  );
  assert.match(text, /verdict: .*uid 1/);
  const [lossA, lossA2, lossB, lossNow] = [
    loss(await run(["--state", a, "--json"])),
    loss(await run(["--state", a, "--json"])),
    loss(await run(["--state", b, "--json"])),
    loss(await run(["--json"])),
  ];
  assert.equal(lossA2, lossA, "the same state, the same pages, the same loss");
  assert.notEqual(lossB, lossA, "another step's seed draws other pages");
  assert.notEqual(lossNow, lossA, "without a state, the current chain's pages");
});
