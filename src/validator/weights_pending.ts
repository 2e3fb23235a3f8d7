/**
 * What this validator has pending on chain for its weights, as its state keeps it across restarts:
 * written by the weights sender before and after each submission, read back by both.
 */

/** What is pending on chain for this validator's weights. */
export type WeightsPending =
  | { kind: "none" }
  /** A v2 commit was being submitted; whether it landed is unknown until the chain is asked. */
  | { kind: "committing"; netuid: number; hash: string; startedBlock: number } & WeightsIntent
  /** A v2 commit the chain holds, to be revealed in `revealEpoch`. */
  | { kind: "committed"; netuid: number; hash: string; commitBlock: number; revealEpoch: number } & WeightsIntent
  /** A timelocked commit the chain will reveal itself. */
  | {
    kind: "timelocked";
    netuid: number;
    commitBlock: number;
    revealRound: number;
    revealEpoch: number;
    uids: number[];
    values: number[];
  };

/** The weights a v2 commit hides, and what its hash binds. */
export interface WeightsIntent {
  uids: number[];
  values: number[];
  salt: number[];
  versionKey: number;
}
