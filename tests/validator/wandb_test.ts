import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../helpers/temp.ts";
import { startWandb } from "../standins/wandb.ts";
import process from "node:process";
import { type EvalManifest, type ModelStepRecord, type TelemetryRecord, toHistoryRow } from "../../src/mod.ts";

Deno.test("W&B telemetry: the real @wandb/sdk creates a run and streams SN9-layout history rows", async () => {
  const w = startWandb();
  Deno.env.set("WANDB_BASE_URL", w.url);
  Deno.env.set("WANDB_API_KEY", "k".repeat(40));
  try {
    const { WandbTelemetry } = await import("../../src/mod.ts");
    const t = new WandbTelemetry({ project: "sn9-test", name: "validator-test" });
    const base = {
      stepId: 7,
      competitionId: 1,
      repo: "ns/m",
      revision: "c".repeat(40),
      commitBlock: 1000,
      loadMs: 10,
      computeMs: 20,
      excluded: null,
    };
    const models: ModelStepRecord[] = [
      {
        ...base,
        uid: 3,
        hotkey: "h3",
        loss: 2.5,
        taskLosses: { falcon: 2.5 },
        weightedTaskLosses: { falcon: 2.5 },
        epsilon: 0.005,
        winRate: 1,
        wins: 1,
        weight: 0.99,
        competitionWeight: 0.9,
        status: "ok",
        reason: null,
        explanation: "wins 1 of 1: the best win rate, weight 0.9900",
      },
      {
        ...base,
        uid: 4,
        hotkey: "h4",
        loss: null,
        taskLosses: {},
        weightedTaskLosses: {},
        epsilon: 0.005,
        winRate: 0,
        wins: 0,
        weight: 0,
        competitionWeight: 0,
        status: "rejected",
        reason: "limits: too big",
        excluded: "failed",
        explanation: "no loss (see the status): takes no part in the wins, no weight",
      },
    ];
    await t.log({
      kind: "step",
      step: 7,
      block: 1234,
      competition: 1,
      models,
      timings: { loadMs: { min: 1, median: 2, max: 3, p90: 3 }, computeMs: null },
      subnetWeights: { 3: 1 },
      weightsResult: "set at block 1235",
      manifest: { seed: "ab".repeat(32), tasks: [] } as unknown as EvalManifest,
    });
    await t.log({ kind: "step_failed", block: 1300, competition: 2, reason: "data preparation failed: 404" });
    await t.close();
    // The SDK may upsert the run again later on (timing-dependent): all upserts name one run.
    assert.ok(w.wandb.runs.length >= 1);
    assert.equal(new Set(w.wandb.runs.map((r) => r.name)).size, 1, JSON.stringify(w.wandb.runs.map((r) => r.name)));
    assert.ok(w.wandb.runs.every((r) => r.project === "sn9-test"));
    assert.ok(w.wandb.completed, "the run was finished");
    // Rows are flattened into the dotted names the W&B UI shows for nested keys.
    const row = w.wandb.history[0] as Record<string, any>;
    assert.deepEqual([row.step, row.block, row.competition_id, row.uids], [7, 1234, 1, [3, 4]]);
    assert.equal(row["uid_data.3.average_loss"], 2.5);
    assert.equal(row["uid_data.3.win_rate"], 1);
    assert.equal(row["uid_data.4.reason"], "limits: too big");
    assert.equal(row["manifest.seed"], "ab".repeat(32));
    assert.equal(row["timings.loadMs.p90"], 3);
    assert.equal(row["uid_data.3.epsilon_adv"], 0.005);
    assert.equal(row["uid_data.3.explanation"], "wins 1 of 1: the best win rate, weight 0.9900");
    assert.equal(row.weights_result, "set at block 1235");
    // The summary keeps the latest value of every metric any row carried, as wandb-core's does
    // (core/internal/runsummary: a tree updated leaf by leaf), not only the last row's keys.
    const summary = w.wandb.summaries[row._run];
    for (const h of w.wandb.history) {
      for (const key of Object.keys(h)) {
        if (!key.startsWith("_")) assert.ok(key in summary, `the summary has ${key}`);
      }
    }
    assert.equal(summary["uid_data.3.average_loss"], 2.5, "a metric only the first row carried keeps its value");
    assert.equal(summary.block, 1300, "a metric both rows carried holds the later value");
    // A skipped turn is a row of its own with its reason.
    const failed = w.wandb.history[1] as Record<string, unknown>; // with the SDK's own _step, _runtime, _timestamp
    assert.deepEqual([failed.block, failed.competition_id, failed.step_failed], [
      1300,
      2,
      "data preparation failed: 404",
    ]);
    assert.equal(failed["uid_data.3.average_loss"], undefined, "a skipped turn has no per-uid data");
    assert.ok(
      w.wandb.authorizations.every((a) => a === `Basic ${btoa(`api:${"k".repeat(40)}`)}`),
      "the API key authenticates every call",
    );
  } finally {
    Deno.env.delete("WANDB_BASE_URL");
    Deno.env.delete("WANDB_API_KEY");
    await w.close();
  }
});

Deno.test("W&B unreachable: the failure is logged once, records still go to the run log, and the process goes on", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close(); // nothing listens there now: connections are refused
  Deno.env.set("WANDB_BASE_URL", `http://127.0.0.1:${port}`);
  Deno.env.set("WANDB_API_KEY", "k".repeat(40));
  try {
    const { WandbTelemetry, JsonlRunLog, FanOutTelemetry } = await import("../../src/mod.ts");
    const lines: string[] = [];
    const wandb = new WandbTelemetry({ project: "sn9-test", name: "unreachable" }, (l) => lines.push(l));
    const path = join(await tempDir(), "run.jsonl");
    const t = new FanOutTelemetry([wandb, new JsonlRunLog(path)]);
    await t.log({ kind: "step_failed", block: 1, competition: 1, reason: "one" });
    await t.log({ kind: "step_failed", block: 2, competition: 1, reason: "two" });
    await t.close();
    assert.ok(wandb.failure, "the failure is recorded");
    assert.equal(lines.filter((l) => l.startsWith("W&B off for this session")).length, 1, lines.join("\n"));
    assert.equal((await Deno.readTextFile(path)).trim().split("\n").length, 2, "both records reached the run log");
  } finally {
    Deno.env.delete("WANDB_BASE_URL");
    Deno.env.delete("WANDB_API_KEY");
  }
});

Deno.test("W&B rows of an adapter step carry the base's loss and each adapter's improvement; a full-model step does not", () => {
  const model = {
    stepId: 1,
    hotkey: "h",
    uid: 3,
    competitionId: 3,
    repo: "a/lora",
    revision: "c".repeat(40),
    commitBlock: 1,
    loss: 3.5,
    taskLosses: { falcon: 3.5 },
    status: "ok" as const,
    reason: null,
    loadMs: 1,
    computeMs: 1,
    weightedTaskLosses: { falcon: 3.5 },
    competitionWeight: 1,
    improvement: 0.5,
  };
  const record = {
    kind: "step" as const,
    step: 1,
    block: 10,
    competition: 3,
    models: [model],
    timings: { loadMs: null, computeMs: null },
    subnetWeights: {},
    weightsResult: "set",
    manifest: { seed: "ab".repeat(32), tasks: [] } as unknown as EvalManifest,
  };
  const row = toHistoryRow({
    ...record,
    baseline: {
      repo: "sn9/base",
      revision: "b".repeat(40),
      loss: 4,
      taskLosses: { falcon: 4 },
      loadMs: 1,
      computeMs: 1,
    },
  }) as Record<string, any>;
  assert.equal(row.base_loss, 4);
  assert.deepEqual(row.base_task_losses, { falcon: 4 });
  assert.equal(row.uid_data["3"].improvement, 0.5);
  const plain = toHistoryRow({ ...record, baseline: null }) as Record<string, any>;
  assert.equal(plain.base_loss, undefined);
  assert.equal("improvement" in plain.uid_data["3"], false);
});

/** A step record with one model, for the run-level tests below. */
function oneModelStep(step: number, loss: number): TelemetryRecord {
  return {
    kind: "step",
    step,
    block: 100 + step,
    competition: 1,
    models: [{
      stepId: step,
      competitionId: 1,
      repo: "ns/m",
      revision: "c".repeat(40),
      commitBlock: 1,
      loadMs: 1,
      computeMs: 2,
      excluded: null,
      uid: 1,
      hotkey: "h1",
      loss,
      taskLosses: { falcon: loss },
      weightedTaskLosses: { falcon: loss },
      epsilon: 0.005,
      winRate: 1,
      wins: 0,
      weight: 1,
      competitionWeight: 1,
      status: "ok",
      reason: null,
      explanation: "alone",
    }],
    timings: { loadMs: null, computeMs: null },
    subnetWeights: { 1: 1 },
    weightsResult: "set",
    manifest: { seed: "ab".repeat(32), tasks: [] } as unknown as EvalManifest,
  };
}

Deno.test("W&B run: config in the official clients' {key: {value}} layout, the SDK's signal handlers removed, a new run every N rows", async () => {
  const w = startWandb();
  Deno.env.set("WANDB_BASE_URL", w.url);
  Deno.env.set("WANDB_API_KEY", "k".repeat(40));
  const events = ["SIGTERM", "SIGINT", "beforeExit"] as const;
  const before = events.map((e) => process.listenerCount(e));
  try {
    const { WandbTelemetry } = await import("../../src/mod.ts");
    const t = new WandbTelemetry({
      project: "sn9-test",
      name: "validator-3-2026-12-02_07-00-00",
      config: { uid: 3, version: "0.19.0", hotkey: "5F…" },
      stepsPerRun: 2,
    });
    for (const step of [1, 2, 3]) await t.log(oneModelStep(step, 3 - step / 10));
    // @wandb/sdk 0.5.1 adds process.once handlers for these at init (dist/sdk/wandb_init.js); none is left.
    assert.deepEqual(events.map((e) => process.listenerCount(e)), before);
    await t.close();
    assert.equal(t.failure, null);
    // core/internal/runconfig/runconfig.go Serialize: each top-level key as {"value": v}.
    const config = JSON.parse(String(w.wandb.runs[0].config));
    assert.deepEqual(config, { uid: { value: 3 }, version: { value: "0.19.0" }, hotkey: { value: "5F…" } });
    const names = [...new Set(w.wandb.runs.map((r) => r.displayName))];
    assert.deepEqual(names, ["validator-3-2026-12-02_07-00-00", "validator-3-2026-12-02_07-00-00 (part 2)"]);
    const runs = [...new Set(w.wandb.history.map((h) => h._run))];
    assert.equal(runs.length, 2, "two runs received rows");
    assert.deepEqual(w.wandb.history.map((h) => h.step), [1, 2, 3], "no row lost or repeated across the rotation");
    assert.deepEqual(w.wandb.completedRuns.sort(), [...runs].sort() as string[], "both runs were finished");
  } finally {
    Deno.env.delete("WANDB_BASE_URL");
    Deno.env.delete("WANDB_API_KEY");
    await w.close();
  }
});

Deno.test("W&B with a refused key: one line says the key was refused, nothing from the SDK, the records go on", async () => {
  const w = startWandb("the-right-key".padEnd(40, "x"));
  Deno.env.set("WANDB_BASE_URL", w.url);
  Deno.env.set("WANDB_API_KEY", "a-wrong-key".padEnd(40, "x"));
  const printed: string[] = [];
  const original = { error: console.error, log: console.log, warn: console.warn };
  console.error = console.log = console.warn = (...a: unknown[]) => void printed.push(a.map(String).join(" "));
  try {
    const { WandbTelemetry } = await import("../../src/mod.ts");
    const lines: string[] = [];
    const t = new WandbTelemetry({ project: "sn9-test", name: "refused" }, (l) => lines.push(l));
    await t.log(oneModelStep(1, 3));
    await t.close();
    Object.assign(console, original);
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /refused the API key \(HTTP 401\)/);
    assert.deepEqual(printed, [], "the SDK printed nothing");
    assert.equal(w.wandb.runs.length, 0, "no run was made with a refused key");
  } finally {
    Object.assign(console, original);
    Deno.env.delete("WANDB_BASE_URL");
    Deno.env.delete("WANDB_API_KEY");
    await w.close();
  }
});
