/**
 * Telemetry to Weights & Biases through @wandb/sdk: one run per validator session (a new one every
 * `stepsPerRun` rows, as SN9 started a new run every 100 steps), one history row per step with the
 * fields SN9 logs (per-uid loss, epsilon advantage, win rate, wins, weight, competition weight,
 * per-task raw and weighted losses, timings, the eval manifest). The SDK reads `WANDB_API_KEY` and
 * `WANDB_BASE_URL` from the environment, so tests point it at a stand-in.
 *
 * Where the SDK (0.5.1) behaves unlike the official clients, this file makes up for it:
 * - it installs `process.once` handlers for SIGTERM, SIGINT and beforeExit that finish the run and,
 *   on SIGINT, exit the process (`dist/sdk/wandb_init.js`). They are removed as soon as `init`
 *   settles: the validator alone decides when it ends, and finishes the run itself.
 * - its summary merges rows by top-level key only (`dist/internal/filestream.js`), so a nested
 *   `uid_data` replaced the last one. Rows are flattened into dotted keys ("uid_data.3.average_loss",
 *   the names the W&B UI shows for nested keys too), so the summary keeps the latest value of every
 *   metric, as wandb-core's run summary does.
 * - it sends the config as given; the official clients send `{key: {"value": v}}`, so it is given
 *   wrapped.
 * - on a refused key it prints the whole HTTP error and then "Unable to determine default entity".
 *   The key is checked first with the same Viewer query the SDK starts with: a refusal is one line,
 *   and W&B is off for the session.
 */
import process from "node:process";
import type { Telemetry, TelemetryRecord } from "./telemetry.ts";

// Loaded on first use: the SDK's dependencies print deprecation warnings at import time, which
// every command importing src/ would otherwise show.
const sdk = () => import("@wandb/sdk").then((m) => m.default);

/** How long a W&B call may take before W&B is given up for this session. */
const WANDB_TIMEOUT_MS = 60_000;

/** The process events whose handlers the SDK installs at init. */
const SDK_EVENTS = ["SIGTERM", "SIGINT", "beforeExit"] as const;

/** What a W&B run is made with. */
export interface WandbOptions {
  project: string;
  entity?: string;
  /** The run's display name; a rotated run gets " (part N)". */
  name: string;
  /** Plain values; sent as `{key: {value}}`. */
  config?: Record<string, unknown>;
  /** Rows per run before a new run starts (default 100, SN9's). */
  stepsPerRun?: number;
}

/**
 * A W&B run receiving the step records. W&B is a side channel: when it fails (a refused key,
 * unreachable, a call that never returns), the failure is logged once and W&B is dropped for the
 * session, never the validator. The SDK reports some failures by throwing from its worker's
 * message listener, where no caller can catch them, so those are intercepted from the global
 * error event and recognised by their origin in the SDK.
 */
export class WandbTelemetry implements Telemetry {
  #started: Promise<unknown>;
  #failed: string | null = null;
  #rows = 0;
  #part = 1;
  readonly #options: WandbOptions;
  readonly #log: (line: string) => void;
  readonly #onError = (event: ErrorEvent) => {
    const stack = String((event.error as Error | undefined)?.stack ?? event.message ?? "");
    if (!/@wandb[\\/]sdk/.test(stack)) return;
    event.preventDefault();
    this.#fail((event.error as Error | undefined)?.message ?? event.message);
  };

  constructor(options: WandbOptions, log: (line: string) => void = () => {}) {
    this.#options = options;
    this.#log = log;
    globalThis.addEventListener("error", this.#onError);
    this.#started = checkKey().then(() => this.#init(options.name));
    this.#started.catch((e) => this.#fail((e as Error).message));
  }

  async log(record: TelemetryRecord): Promise<void> {
    if (this.#rows >= (this.#options.stepsPerRun ?? 100)) await this.#rotate();
    await this.#call("log", async () => (await sdk()).log(flattenRow(toHistoryRow(record))));
    this.#rows++;
  }

  async close(): Promise<void> {
    await this.#call("finish", async () => await (await sdk()).finish());
    globalThis.removeEventListener("error", this.#onError);
  }

  /** Why W&B was given up, or null while it works. */
  get failure(): string | null {
    return this.#failed;
  }

  /** Starts a run, leaving the process's signal handling as it was before. */
  async #init(name: string): Promise<unknown> {
    const wandb = await sdk();
    const before = new Map(SDK_EVENTS.map((e) => [e, new Set(process.listeners(e))]));
    try {
      return await wandb.init({
        project: this.#options.project,
        entity: this.#options.entity,
        name,
        config: wrapConfig(this.#options.config ?? {}),
      });
    } finally {
      for (const e of SDK_EVENTS) {
        for (const l of process.listeners(e)) {
          if (!before.get(e)!.has(l)) process.removeListener(e, l as (...a: unknown[]) => void);
        }
      }
    }
  }

  /** Finishes this run and starts the next part, so one run does not grow without bound. */
  async #rotate(): Promise<void> {
    await this.#call("finish", async () => await (await sdk()).finish());
    if (this.#failed) return;
    this.#part++;
    this.#rows = 0;
    this.#started = this.#init(`${this.#options.name} (part ${this.#part})`);
    this.#started.catch((e) => this.#fail((e as Error).message));
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
    this.#log(`W&B off for this session: ${reason.split("\n")[0].slice(0, 200)}; the local run log goes on`);
  }
}

/**
 * The key, checked with the Viewer query the SDK itself starts with (HTTP basic auth `api:KEY`):
 * a 401 or 403 is a refusal, said as one line.
 */
async function checkKey(): Promise<void> {
  const base = (Deno.env.get("WANDB_BASE_URL") ?? "https://api.wandb.ai").replace(/\/+$/, "");
  const key = Deno.env.get("WANDB_API_KEY") ?? "";
  let response: Response;
  try {
    response = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Basic ${btoa(`api:${key}`)}` },
      body: JSON.stringify({ query: "query Viewer { viewer { id entity } }", variables: {} }),
      signal: AbortSignal.timeout(WANDB_TIMEOUT_MS),
    });
  } catch (e) {
    throw new Error(`${base} is unreachable (${(e as Error).message.split("\n")[0].slice(0, 120)})`);
  }
  const body = await response.text().catch(() => "");
  if (response.status === 401 || response.status === 403) {
    throw new Error(`${base} refused the API key (HTTP ${response.status}); check WANDB_API_KEY`);
  }
  if (!response.ok) throw new Error(`${base} answered HTTP ${response.status} to the key check`);
  let viewer: unknown;
  try {
    viewer = JSON.parse(body)?.data?.viewer;
  } catch { /* not JSON: said below */ }
  if (!viewer) throw new Error(`${base} did not accept the API key (no viewer for it)`);
}

/** `{k: v}` → `{k: {value: v}}`, the config layout the official clients write. */
export function wrapConfig(config: Record<string, unknown>): Record<string, { value: unknown }> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: v }]));
}

/**
 * A row with every nested object flattened into dotted keys (arrays and scalars stay values), so
 * a merge by top-level key keeps the latest value of every metric.
 */
export function flattenRow(row: Record<string, unknown>, prefix = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) {
      Object.assign(out, flattenRow(v as Record<string, unknown>, key));
    } else out[key] = v;
  }
  return out;
}

/** SN9's layout: scalars at the top, `uid_data.{uid}` per model; a skipped turn as its reason. */
export function toHistoryRow(record: TelemetryRecord): Record<string, unknown> {
  if (record.kind === "step_failed") {
    return { block: record.block, competition_id: record.competition, step_failed: record.reason };
  }
  if (record.kind === "window") {
    const { kind: _, peers, competition, subnetWeights, weightsResult, ...rest } = record;
    return {
      ...rest,
      competition_id: competition,
      uids: peers.map((p) => p.uid),
      uid_data: Object.fromEntries(peers.map(({ uid, ...p }) => [String(uid), p])),
      subnet_weights: subnetWeights,
      weights_result: weightsResult,
    };
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
