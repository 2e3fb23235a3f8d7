/** One neuron's results of the chain's last epoch, as the validator last read them. */
export interface OnChainNeuron {
  uid: number;
  hotkey: string;
  /** In [0, 1]. */
  incentive: number;
  /** Rao per epoch, as a decimal string (it can pass 2^53). */
  emission: string;
}

/** What the validator's state holds, as records: models it tracks, evaluations, steps and its own downloads. */

/** A model the validator tracks: the latest valid commitment of a hotkey. */
export interface TrackedModel {
  hotkey: string;
  uid: number;
  competitionId: number;
  repo: string;
  revision: string;
  secureHash: string;
  commitBlock: number;
  /**
   * pending → ok | rejected | failed (see `reason`); ignored: the commitment itself is malformed
   * or names a competition not in force (never evaluated; `commitment` keeps what was committed).
   */
  status: "pending" | "ok" | "rejected" | "failed" | "ignored";
  reason: string | null;
  updatedBlock: number;
  /** The commitment as committed (for an ignored one, to show what was wrong). */
  commitment?: string | null;
}

/** One model's result in one step. */
export interface EvalRecord {
  stepId: number;
  hotkey: string;
  uid: number;
  competitionId: number;
  repo: string;
  revision: string;
  commitBlock: number;
  /** Weighted score over tasks; null when the model was rejected or failed. */
  loss: number | null;
  taskLosses: Record<string, number>;
  status: "ok" | "rejected" | "failed";
  reason: string | null;
  loadMs: number | null;
  computeMs: number | null;
  winRate?: number | null;
  wins?: number | null;
  epsilon?: number | null;
  weight?: number | null;
  /**
   * Why it took no part in the win count, null when it did: "failed" (no loss), "no-improvement"
   * (an adapter that does not beat its base), or "not-competitive" (not better enough than an
   * earlier model); see `ModelOutcome.excluded` in src/scoring/score_competition.ts.
   */
  excluded?: string | null;
  /** Why it earns what it earns (src/scoring/explain.ts). */
  explanation?: string | null;
  /** Why it was in the step: the evaluation budget's reason (kept, new commitment, retried, queued). */
  queued?: string | null;
  /** SHA-256 of its per-sequence losses (`ModelScore.lossesSha256`): equal only when bit-identical. */
  lossesSha256?: string | null;
  /** Where it was evaluated: the device, and the queue worker when one did it ("cpu (4 threads), worker host/1"). */
  evaluatedOn?: string | null;
}

/** A step's scores for one model, as `finishStep` stores them. */
export interface EvalOutcome {
  hotkey: string;
  winRate: number;
  wins: number;
  epsilon: number;
  weight: number;
  excluded: string | null;
  explanation: string;
}

/** A step row. */
export interface StepRecord {
  id: number;
  block: number;
  competitionId: number;
  seed: string;
  /** running → done, or failed (its data or its adapter base could not be prepared; `reason` says why). */
  status: "running" | "done" | "failed";
  manifest: unknown;
  startedMs: number;
  finishedMs: number | null;
  reason: string | null;
  /** In an adapter competition: the base's own result on the step's pages. */
  baseline: StepBaseline | null;
}

/** The base of an adapter competition, scored on a step's pages: the loss every adapter must beat. */
export interface StepBaseline {
  repo: string;
  revision: string;
  loss: number;
  taskLosses: Record<string, number>;
  loadMs: number | null;
  computeMs: number | null;
}

/** A model snapshot this validator downloaded into the model cache, with the blobs it created. */
export interface OwnedCacheEntry {
  repo: string;
  commit: string;
  blobs: string[];
  usedMs: number;
}
