import assert from "node:assert/strict";
import { join } from "node:path";
import {
  BUNDLED_SCHEDULES,
  competitionAt,
  evaluateModel,
  hashModelDir,
  loadSchedule,
  localModelFileSet,
  LocalModelStore,
  secureHash,
  ValidatorState,
} from "../../src/mod.ts";
import { evalSequences, fitText, writeQualityModel } from "../../fixtures/mod.ts";
import { tempDir } from "../helpers/temp.ts";

Deno.test("a model that runs past its time cap is scored as failed, not hung", async () => {
  const store = new LocalModelStore(await tempDir());
  const dir = join(await tempDir(), "m");
  await writeQualityModel("bigram", await fitText(), dir);
  const commit = await store.upload({ repo: "slow/model", dir, paths: await localModelFileSet(dir) });
  const hotkey = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
  const schedule = await loadSchedule(BUNDLED_SCHEDULES.local);
  const competition = competitionAt(schedule, 0, 1)!;
  const sequences = (await evalSequences(128, 40)).map((s) => Int32Array.from(s));
  const tasks = [{ task: competition.tasks[0], sequences, manifest: {} as never }];
  const model = {
    hotkey,
    uid: 3,
    competitionId: 1,
    repo: "slow/model",
    revision: commit,
    secureHash: secureHash((await hashModelDir(dir)).hash, hotkey),
    commitBlock: 1,
    status: "pending" as const,
    reason: null,
    updatedBlock: 1,
  };
  const settings = {
    store,
    cacheDir: await tempDir(),
    device: "cpu" as const,
    batchSize: 1,
    eosTokenId: 256,
    log: () => {},
  };
  const capped = await evaluateModel({ model, competition, tasks, stepId: 1 }, { ...settings, timeCapMs: 1 });
  assert.equal(capped.status, "failed");
  assert.match(capped.reason!, /exceeded the time cap of 1 ms/);
  const ok = await evaluateModel({ model, competition, tasks, stepId: 1 }, { ...settings, timeCapMs: 600_000 });
  assert.equal(ok.status, "ok", ok.reason ?? "");
  assert.ok(ok.loss! > 2 && ok.loss! < 4);
});

Deno.test("ValidatorState records one result per (step, hotkey) and finishes a step atomically", async () => {
  const state = new ValidatorState(join(await tempDir(), "s.sqlite"));
  const step = state.startStep(10, 1, "ab".repeat(32), { tasks: [] }, 0);
  const result = {
    stepId: step,
    hotkey: "h",
    uid: 1,
    competitionId: 1,
    repo: "a/b",
    revision: "c".repeat(40),
    commitBlock: 5,
    loss: 3,
    taskLosses: { t: 3 },
    status: "ok" as const,
    reason: null,
    loadMs: 1,
    computeMs: 2,
  };
  state.recordEval(result);
  state.recordEval({ ...result, loss: 99 }); // a replay after a restart is ignored
  assert.deepEqual(state.evals(step).map((e) => e.loss), [3]);
  assert.equal(state.runningStep()?.id, step);
  state.finishStep(
    step,
    [{ hotkey: "h", winRate: 1, wins: 0, epsilon: 0.005, weight: 1, excluded: null, explanation: "alone" }],
    { 1: { 1: 1 } },
    5,
  );
  assert.equal(state.runningStep(), undefined);
  assert.deepEqual(state.ema(), { 1: { 1: 1 } });
  assert.equal(state.evals(step)[0].weight, 1);
  state.close();
});
