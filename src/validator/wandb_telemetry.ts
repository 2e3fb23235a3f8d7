/**
 * Telemetry to Weights & Biases through @wandb/sdk: one run per validator session, one history
 * row per step with the fields SN9 logs (per-uid loss, epsilon advantage, win rate, wins, weight,
 * competition weight, per-task raw and weighted losses, timings, the eval manifest). The SDK reads
 * `WANDB_API_KEY` and `WANDB_BASE_URL` from the environment, so tests point it at a stand-in.
 */
import type { Telemetry, TelemetryRecord } from "./telemetry.ts";

// Loaded on first use: the SDK's dependencies print deprecation warnings at import time, which
// every command importing src/ would otherwise show.
const sdk = () => import("@wandb/sdk").then((m) => m.default);

/** A W&B run receiving the step records. */
export class WandbTelemetry implements Telemetry {
  #started: Promise<unknown>;

  constructor(options: { project: string; entity?: string; name?: string; config?: Record<string, unknown> }) {
    this.#started = sdk().then((wandb) =>
      wandb.init({ project: options.project, entity: options.entity, name: options.name, config: options.config ?? {} })
    );
  }

  async log(record: TelemetryRecord): Promise<void> {
    await this.#started;
    (await sdk()).log(toHistoryRow(record));
  }

  async close(): Promise<void> {
    await this.#started;
    await (await sdk()).finish();
  }
}

/** SN9's layout: scalars at the top, `uid_data.{uid}` per model; a skipped turn as its reason. */
export function toHistoryRow(record: TelemetryRecord): Record<string, unknown> {
  if (record.kind === "step_failed") {
    return { block: record.block, competition_id: record.competition, step_failed: record.reason };
  }
  const uidData: Record<string, unknown> = {};
  for (const m of record.models) {
    uidData[String(m.uid)] = {
      hotkey: m.hotkey,
      repo: m.repo,
      revision: m.revision,
      average_loss: m.loss,
      task_losses: m.taskLosses,
      weighted_task_losses: m.weightedTaskLosses,
      epsilon_adv: m.epsilon,
      win_rate: m.winRate,
      win_total: m.wins,
      weight: m.weight,
      competition_weight: m.competitionWeight,
      status: m.status,
      reason: m.reason,
      explanation: m.explanation,
    };
  }
  return {
    step: record.step,
    block: record.block,
    competition_id: record.competition,
    uids: record.models.map((m) => m.uid),
    uid_data: uidData,
    timings: record.timings,
    subnet_weights: record.subnetWeights,
    weights_result: record.weightsResult,
    manifest: record.manifest,
  };
}
