/**
 * Telemetry to Weights & Biases through @wandb/sdk: one run per validator session, one history
 * row per step with the fields SN9 logs (per-uid loss, epsilon advantage, win rate, wins, weight,
 * competition weight, per-task raw and weighted losses, timings, the eval manifest). The SDK reads
 * `WANDB_API_KEY` and `WANDB_BASE_URL` from the environment, so tests point it at a stand-in.
 */
import type { Telemetry } from "./run_log.ts";

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

  async log(record: Record<string, unknown>): Promise<void> {
    await this.#started;
    (await sdk()).log(toHistoryRow(record));
  }

  async close(): Promise<void> {
    await this.#started;
    await (await sdk()).finish();
  }
}

/** SN9's layout: scalars at the top, `uid_data.{uid}` per model. */
export function toHistoryRow(record: Record<string, unknown>): Record<string, unknown> {
  const models = (record.models as Record<string, unknown>[] | undefined) ?? [];
  const uidData: Record<string, unknown> = {};
  for (const m of models) {
    uidData[String(m.uid)] = {
      hotkey: m.hotkey,
      repo: m.repo,
      revision: m.revision,
      average_loss: m.loss,
      task_losses: m.taskLosses,
      weighted_task_losses: m.weightedTaskLosses,
      epsilon_adv: m.epsilonAdvantage,
      win_rate: m.winRate,
      win_total: m.wins,
      weight: m.weight,
      competition_weight: m.competitionWeight,
      status: m.status,
      reason: m.reason,
    };
  }
  return {
    step: record.step,
    block: record.block,
    competition_id: record.competition,
    uids: models.map((m) => m.uid),
    uid_data: uidData,
    timings: record.timings,
    subnet_weights: record.subnetWeights,
    weights_result: record.weightsResult,
    manifest: record.manifest,
  };
}
