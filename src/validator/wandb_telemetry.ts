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

/** How long a W&B call may take before W&B is given up for this session. */
const WANDB_TIMEOUT_MS = 60_000;

/**
 * A W&B run receiving the step records. W&B is a side channel: when it fails (unreachable, a
 * refused run, a call that never returns), the failure is logged once and W&B is dropped for the
 * session, never the validator. The SDK reports some failures by throwing from its worker's
 * message listener, where no caller can catch them, so those are intercepted from the global
 * error event and recognised by their origin in the SDK.
 */
export class WandbTelemetry implements Telemetry {
  #started: Promise<unknown>;
  #failed: string | null = null;
  readonly #log: (line: string) => void;
  readonly #onError = (event: ErrorEvent) => {
    const stack = String((event.error as Error | undefined)?.stack ?? event.message ?? "");
    if (!/@wandb[\\/]sdk/.test(stack)) return;
    event.preventDefault();
    this.#fail((event.error as Error | undefined)?.message ?? event.message);
  };

  constructor(
    options: { project: string; entity?: string; name?: string; config?: Record<string, unknown> },
    log: (line: string) => void = () => {},
  ) {
    this.#log = log;
    globalThis.addEventListener("error", this.#onError);
    this.#started = sdk().then((wandb) =>
      wandb.init({ project: options.project, entity: options.entity, name: options.name, config: options.config ?? {} })
    );
    this.#started.catch((e) => this.#fail((e as Error).message));
  }

  async log(record: TelemetryRecord): Promise<void> {
    await this.#call("log", async () => (await sdk()).log(toHistoryRow(record)));
  }

  async close(): Promise<void> {
    await this.#call("finish", async () => await (await sdk()).finish());
    globalThis.removeEventListener("error", this.#onError);
  }

  /** Why W&B was given up, or null while it works. */
  get failure(): string | null {
    return this.#failed;
  }

  async #call(what: string, fn: () => Promise<unknown>): Promise<void> {
    if (this.#failed) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took over ${WANDB_TIMEOUT_MS / 1000} s`)), WANDB_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.#started.then(fn), timeout]);
    } catch (e) {
      this.#fail((e as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  #fail(reason: string): void {
    if (this.#failed) return;
    this.#failed = reason;
    this.#log(`W&B failed (${reason.split("\n")[0].slice(0, 200)}); continuing with the local run log only`);
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
      ...(record.baseline ? { improvement: m.improvement ?? null } : {}),
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
    ...(record.baseline ? { base_loss: record.baseline.loss, base_task_losses: record.baseline.taskLosses } : {}),
    timings: record.timings,
    subnet_weights: record.subnetWeights,
    weights_result: record.weightsResult,
    manifest: record.manifest,
  };
}
