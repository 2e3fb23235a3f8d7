/** A local subnet's hyperparameters: the Chain-visible ones plus the epoch's. */
import { DEFAULT_YUMA_PARAMS, type YumaParams } from "../yuma/mod.ts";
import type { SubnetHyperparameters } from "../chain.ts";

/** Everything a local subnet is configured with. */
export interface LocalSubnetParams
  extends SubnetHyperparameters, Omit<YumaParams, "tempo" | "activityCutoff" | "maxAllowedValidators"> {
  maxAllowedUids: number;
  maxUnrevealedCommits: number;
  /** Stake (rao) a hotkey needs to set weights (subtensor's WeightsMinStake / StakeThreshold). */
  weightsMinStake: number;
}

/**
 * Subtensor-like defaults (spec 218: commit-reveal off, version 2 when turned on); tests and the
 * demo shorten tempo and rate limits, and may turn on timelocked commit-reveal (version 4).
 */
export const DEFAULT_SUBNET_PARAMS: LocalSubnetParams = {
  ...DEFAULT_YUMA_PARAMS,
  tempo: 360,
  weightsRateLimit: 100,
  weightsVersionKey: 0,
  commitRevealEnabled: false,
  commitRevealVersion: 2,
  revealPeriodEpochs: 1,
  activityCutoff: 5000,
  maxAllowedValidators: 64,
  maxAllowedUids: 256,
  minAllowedWeights: 0,
  maxWeightLimit: 65535,
  maxUnrevealedCommits: 10,
  weightsMinStake: 0,
};
