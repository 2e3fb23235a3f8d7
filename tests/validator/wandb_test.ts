import assert from "node:assert/strict";
import { startWandb } from "../standins/wandb.ts";

Deno.test("W&B telemetry: the real @wandb/sdk creates a run and streams SN9-layout history rows", async () => {
  const w = startWandb();
  Deno.env.set("WANDB_BASE_URL", w.url);
  Deno.env.set("WANDB_API_KEY", "k".repeat(40));
  try {
    const { WandbTelemetry } = await import("../../src/mod.ts");
    const t = new WandbTelemetry({ project: "sn9-test", name: "validator-test" });
    const models = [
      {
        uid: 3,
        hotkey: "h3",
        loss: 2.5,
        taskLosses: { falcon: 2.5 },
        weightedTaskLosses: { falcon: 2.5 },
        epsilonAdvantage: 0.005,
        winRate: 1,
        wins: 1,
        weight: 0.99,
        competitionWeight: 0.9,
        status: "ok",
        reason: null,
      },
      {
        uid: 4,
        hotkey: "h4",
        loss: null,
        taskLosses: {},
        weightedTaskLosses: {},
        epsilonAdvantage: 0.005,
        winRate: 0,
        wins: 0,
        weight: 0,
        competitionWeight: 0,
        status: "rejected",
        reason: "limits: too big",
      },
    ];
    await t.log({
      kind: "step",
      step: 7,
      block: 1234,
      competition: 1,
      models,
      timings: { loadMs: { min: 1, median: 2, max: 3, p90: 3 } },
      manifest: { seed: "ab".repeat(32) },
    });
    await t.close();
    // The SDK may upsert the run again later on (timing-dependent): all upserts name one run.
    assert.ok(w.wandb.runs.length >= 1);
    assert.equal(new Set(w.wandb.runs.map((r) => r.name)).size, 1, JSON.stringify(w.wandb.runs.map((r) => r.name)));
    assert.ok(w.wandb.runs.every((r) => r.project === "sn9-test"));
    assert.ok(w.wandb.completed, "the run was finished");
    const row = w.wandb.history[0] as Record<string, any>;
    assert.deepEqual([row.step, row.block, row.competition_id, row.uids], [7, 1234, 1, [3, 4]]);
    assert.equal(row.uid_data["3"].average_loss, 2.5);
    assert.equal(row.uid_data["3"].win_rate, 1);
    assert.equal(row.uid_data["4"].reason, "limits: too big");
    assert.equal(row.manifest.seed, "ab".repeat(32));
    assert.equal(row.timings.loadMs.p90, 3);
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
