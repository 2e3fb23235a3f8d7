/**
 * kill -9 of the validator in the middle of an evaluation, then a restart: the interrupted step
 * resumes with the same seed, models already scored are not evaluated again, none is lost, and
 * the moving average moves once.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  BUNDLED_SCHEDULES,
  competitionAt,
  devKey,
  keyFromUri,
  loadSchedule,
  LocalChain,
  LocalModelStore,
  ValidatorState,
} from "../../src/mod.ts";
import { publishModel } from "../../miner/mod.ts";
import { fitText, writeQualityModel } from "../../fixtures/mod.ts";
import { tempDir } from "../helpers/temp.ts";
import { runScript } from "../helpers/process.ts";

Deno.test("validator: kill -9 mid-evaluation, restart, nothing lost or counted twice", async () => {
  const dir = await tempDir("sn9-resume-");
  // A chain and store with five published models (the validator does the checking).
  const chainDb = join(dir, "chain.sqlite"), storeDir = join(dir, "store");
  const chain = LocalChain.open(chainDb, { clock: { kind: "manual" } });
  chain.createSubnet(1, { tempo: 100, weightsRateLimit: 5 });
  const validator = await devKey("Alice");
  await chain.register(1, validator.address, validator);
  chain.addStake(validator.address, 1_000_000_000_000n);
  const store = new LocalModelStore(storeDir);
  const competition = competitionAt(await loadSchedule(BUNDLED_SCHEDULES.local), 0, 1)!;
  const text = await fitText();
  for (const [i, smoothing] of [1, 4, 16, 64, 256].entries()) {
    const miner = await keyFromUri(`//miner${i}`);
    await chain.register(1, miner.address, miner);
    const model = join(dir, `m${i}`);
    await writeQualityModel("bigram", text, model, smoothing);
    await publishModel({
      store,
      chain,
      netuid: 1,
      hotkey: miner,
      dir: model,
      repo: `miner${i}/m`,
      competition,
      skipChecks: true,
    });
  }
  chain.advance(5);
  await chain.close();
  const validate = [
    "tasks/validate.ts",
    "--once",
    "--chain-db",
    chainDb,
    "--store-dir",
    storeDir,
    "--state",
    join(dir, "v.sqlite"),
    "--run-log",
    join(dir, "run.jsonl"),
    "--cache-dir",
    join(dir, "cache"),
    "--dont-set-weights",
    "--wandb.off", // a parallel test may set WANDB_* in this process
  ];
  let evaluated = 0;
  const first = await runScript(validate, {
    killAt: (line) => /uid \d+: (loss|rejected|failed)/.test(line) && ++evaluated === 2,
  });
  assert.ok(first.killed, `the validator was killed after two results (${first.lines.length} lines)`);
  const before = new ValidatorState(join(dir, "v.sqlite"), { readOnly: true });
  const step = before.runningStep()!;
  assert.ok(step, "the step is still marked running");
  const doneBefore = before.evals(step.id).map((e) => [e.hotkey, e.loss, e.status]);
  assert.ok(doneBefore.length >= 2, `${doneBefore.length} results were saved before the kill`);
  before.close();

  const second = await runScript(validate);
  assert.equal(second.code, 0);
  assert.ok(second.lines.some((l) => l.includes(`resuming step ${step.id}`)));
  const after = new ValidatorState(join(dir, "v.sqlite"), { readOnly: true });
  assert.equal(after.runningStep(), undefined);
  const all = after.evals(step.id);
  assert.equal(new Set(all.map((e) => e.hotkey)).size, all.length, "one result per model");
  for (const [hotkey, loss, status] of doneBefore) {
    const again = all.find((e) => e.hotkey === hotkey)!;
    assert.deepEqual(
      [again.loss, again.status],
      [loss, status],
      "results saved before the kill are kept, not recomputed",
    );
  }
  const resumedEvaluations = second.lines.filter((l) => /: evaluating$/.test(l)).length;
  assert.equal(
    resumedEvaluations,
    all.length - doneBefore.length,
    "only the missing models were evaluated after the restart",
  );
  assert.equal(after.steps().filter((s) => s.status === "done").length, 1);
  assert.ok(
    Object.keys(after.ema()[step.competitionId] ?? {}).length > 0,
    "the moving average moved once the step finished",
  );
  after.close();
});
