/**
 * kill -9 of the validator in the middle of an evaluation, then a restart: the interrupted step
 * resumes with the same seed, models already scored are not evaluated again, none is lost, and
 * the moving average moves once.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ValidatorState } from "../../src/mod.ts";
import { publishedSubnet, validateCommandLine } from "../helpers/published_subnet.ts";
import { tempDir } from "../helpers/temp.ts";
import { runScript } from "../helpers/process.ts";

Deno.test("validator: kill -9 mid-evaluation, restart, nothing lost or counted twice", async () => {
  const dir = await tempDir("sn9-resume-");
  // A chain and store with five published models (the validator does the checking).
  const { chainDb, storeDir } = await publishedSubnet(dir);
  // --wandb.off: a parallel test may set WANDB_* in this process.
  const validate = validateCommandLine(dir, { chainDb, storeDir }, ["--once", "--wandb.off"]);
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
  const resumedEvaluations = second.lines.filter((l) => /: evaluating \(/.test(l)).length;
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
