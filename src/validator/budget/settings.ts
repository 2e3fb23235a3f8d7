/**
 * The evaluation budget's settings, with SN9's defaults (macrocosm-os/pretraining
 * `constants/__init__.py` and `neurons/validator.py`; taoverse `model_tracker.py`,
 * `metagraph/utils.py`). SN9 counts its cadences in wall-clock minutes; the validator counts them
 * in blocks at subtensor's 12 s, so a chain whose clock runs fast (the embedded one) keeps the
 * same proportions.
 */

/** How much a step may evaluate, and when a model is looked at again. */
export interface EvalBudget {
  /** Models of a competition kept for its next step (SN9 `sample_min`). */
  sampleMin: number;
  /** Kept + pending models, over every competition (SN9 `updated_models_limit`). */
  updatedModelsLimit: number;
  /** A tracked model is checked for a retry at most once in this many blocks (SN9: 20 minutes). */
  revisitBlocks: number;
  /** Attempts a model that only ever failed gets before it is given up (SN9: 2). */
  maxFailedAttempts: number;
  /** Evaluations kept per hotkey and competition for the retry rule (SN9 `_MAX_EVAL_HISTORY_LEN`). */
  historyLength: number;
  /** Wall-clock limit on one model's evaluation; past it the model scores as failed (SN9: 550 s). */
  modelTimeLimitMs: number;
  /** Agreeing with the other validators (vTrust): the miners they weight are queued. */
  topMiners: TopMinerRule;
}

/** Which miners other validators weight, and how often to look (SN9 `_queue_top_models_for_eval`). */
export interface TopMinerRule {
  /** Blocks between two looks (SN9 `scan_top_model_cadence`: 30 minutes). */
  scanBlocks: number;
  /** A top miner evaluated fewer than this many blocks ago is not queued again (SN9 `model_retry_cadence`). */
  recentBlocks: number;
  /** Validators counted: a permit and at least this stake, in rao (SN9 `WEIGHT_SYNC_VALI_MIN_STAKE`: 50,000 τ). */
  minValidatorStake: bigint;
  /** A miner counts when it holds at least this share of one such validator's weights (SN9: 5%). */
  minShare: number;
}

/** Blocks per minute at subtensor's 12 s block time. */
const BLOCKS_PER_MINUTE = 5;

/** SN9's budget: 5 kept, 25 in all, a look every 20 minutes, 2 failures, 3 history entries, 550 s. */
export const SN9_BUDGET: EvalBudget = {
  sampleMin: 5,
  updatedModelsLimit: 25,
  revisitBlocks: 20 * BLOCKS_PER_MINUTE,
  maxFailedAttempts: 2,
  historyLength: 3,
  modelTimeLimitMs: 550_000,
  topMiners: {
    scanBlocks: 30 * BLOCKS_PER_MINUTE,
    recentBlocks: 300,
    minValidatorStake: 50_000n * 1_000_000_000n,
    minShare: 0.05,
  },
};
