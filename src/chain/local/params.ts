/** A local subnet's hyperparameters: the Chain-visible ones plus the epoch's. */
import { DEFAULT_YUMA_PARAMS, type YumaParams } from "../yuma/mod.ts";
import type { SubnetHyperparameters } from "../chain.ts";

/** Everything a local subnet is configured with. */
export interface LocalSubnetParams
  extends SubnetHyperparameters, Omit<YumaParams, "tempo" | "activityCutoff" | "maxAllowedValidators"> {
  maxAllowedUids: number;
  minAllowedWeights: number;
  maxUnrevealedCommits: number;
}

/** Subtensor-like defaults; tests and the demo shorten tempo and rate limits. */
export const DEFAULT_SUBNET_PARAMS: LocalSubnetParams = {
  ...DEFAULT_YUMA_PARAMS,
  tempo: 360,
  weightsRateLimit: 100,
  weightsVersionKey: 0,
  commitRevealEnabled: false,
  revealPeriodEpochs: 1,
  activityCutoff: 5000,
  maxAllowedValidators: 64,
  maxAllowedUids: 256,
  minAllowedWeights: 0,
  maxUnrevealedCommits: 10,
};
