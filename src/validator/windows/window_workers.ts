/**
 * A window's forward passes on other machines: what the window turn hands them (src/workers'
 * `queueWindowMeasurer` runs them on the queue's workers). The workers fetch the global checkpoint
 * by its reference, so it must be one they can reach: the pinned base, or a checkpoint this
 * validator published (`publishCheckpoints`).
 */
import type { CodecSettings, MeasureInputs, PeersMeasured } from "../../pseudograd/mod.ts";

/** A model in the store, at a commit, with its model hash. */
export interface CheckpointRef {
  repo: string;
  revision: string;
  hash: string;
}

/** The window as the workers see it. */
export interface WindowOnWorkers {
  /** Names the window's jobs on the queue: the validator, the competition, the window and its seed. */
  stepKey: string;
  competitionId: number;
  window: number;
  global: CheckpointRef;
  codec: CodecSettings;
  /** Where each evaluated peer's file is, and its SHA-256 (hex). */
  submissions: ReadonlyMap<number, { repo: string; revision: string; sha256: string }>;
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** Measures a window's peers elsewhere. */
export interface WindowWorkers {
  measure(window: WindowOnWorkers, inputs: MeasureInputs): Promise<PeersMeasured>;
}
