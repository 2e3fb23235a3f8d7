/**
 * The step record, typed once: what a step tells the run log and W&B, built from the rows the
 * state keeps (`EvalRecord`, with the scores `finishStep` wrote), so the three never disagree.
 */
import type { EvalManifest } from "../data/mod.ts";
import type { EvalRecord, StepBaseline } from "./state.ts";

/** Timing summary: min, median, max and 90th percentile. */
export interface TimingStats {
  min: number;
  median: number;
  max: number;
  p90: number;
}

/** One model in a step record: its stored evaluation plus the numbers that span steps. */
export interface ModelStepRecord extends EvalRecord {
  /** Each task's loss times the task's weight (SN9 logs both). */
  weightedTaskLosses: Record<string, number>;
  /** The per-competition moving average after this step. */
  competitionWeight: number;
  /** In an adapter competition: the base's loss minus this model's (positive is better). */
  improvement?: number | null;
}

/** A completed step. */
export interface StepTelemetry {
  kind: "step";
  step: number;
  block: number;
  competition: number;
  models: ModelStepRecord[];
  /** In an adapter competition: the base's result on the step's pages. */
  baseline?: StepBaseline | null;
  timings: { loadMs: TimingStats | null; computeMs: TimingStats | null };
  /** uid → the subnet weight (all competitions combined) after this step. */
  subnetWeights: Record<string, number>;
  weightsResult: string;
  manifest: EvalManifest;
}

/** A competition's turn that was skipped because its data failed for good. */
export interface StepFailedTelemetry {
  kind: "step_failed";
  block: number;
  competition: number;
  reason: string;
}

/** One peer of a pseudo-gradient window: its status, losses, rating and weight. */
export interface WindowPeerTelemetry {
  uid: number;
  status: string;
  reason: string;
  g: number | null;
  b: number | null;
  B: number;
  mu: number;
  sigma: number;
  ordinal: number;
  final: number;
  clip: number | null;
  overlap: number | null;
  weight: number;
}

/** An evaluated window of a pseudo-gradient competition. */
export interface WindowTelemetry {
  kind: "window";
  step: number;
  window: number;
  block: number;
  competition: number;
  peers: WindowPeerTelemetry[];
  randomBefore: number;
  heldOutBefore: number | null;
  heldOutAfter: number | null;
  globalHash: string;
  nextHash: string | null;
  /** `repo@commit` of the next checkpoint when this validator publishes its checkpoints. */
  published: string | null;
  subnetWeights: Record<string, number>;
  weightsResult: string;
}

/** Everything a validator reports. */
export type TelemetryRecord = StepTelemetry | StepFailedTelemetry | WindowTelemetry;

/** A sink for telemetry records. */
export interface Telemetry {
  log(record: TelemetryRecord): Promise<void>;
  close(): Promise<void>;
}

/** Timing summary of `values`, or null when there are none. */
export function timingStats(values: number[]): TimingStats | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
  return { min: s[0], median: at(0.5), max: s[s.length - 1], p90: at(0.9) };
}
