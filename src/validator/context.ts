/** What a validator step is given: its chain, store, data, schedule, state, device and settings. */
import type { KeyringPair } from "@polkadot/keyring/types";
import type { Device } from "../../eval/mod.ts";
import type { Chain } from "../chain/mod.ts";
import type { Schedule } from "../competitions/mod.ts";
import type { DatasetsServerClient } from "../data/mod.ts";
import type { ModelStore } from "../hub/mod.ts";
import type { EvalBudget } from "./budget/mod.ts";
import type { EvalLane } from "./eval_lanes.ts";
import type { Evaluator } from "./evaluator.ts";
import type { ScoreProgress } from "./score_model.ts";
import type { Telemetry } from "./telemetry.ts";
import type { ValidatorState } from "./state.ts";
import type { WindowWorkers } from "./windows/window_workers.ts";

/** Everything a step needs. */
export interface ValidatorContext {
  chain: Chain;
  store: ModelStore;
  datasets: DatasetsServerClient;
  schedule: Schedule;
  netuid: number;
  hotkey: KeyringPair;
  state: ValidatorState;
  /** Tokenizers and other small files. */
  cacheDir: string;
  /** The Hugging Face-layout model cache (possibly shared with other HF tools). */
  modelCacheDir: string;
  /** Cap on the bytes of models this validator downloaded itself (evicted after each step). */
  modelCacheMaxBytes?: number;
  /** Tries at preparing a competition's data before its turn is recorded as failed and skipped (default 3). */
  maxDataAttempts?: number;
  /** A tokenizer repo id → a local directory (the network's model store); default: the HF cache only. */
  resolveTokenizer?: (repo: string) => Promise<string>;
  /** Progress of each model's loss computation. */
  onProgress?: (p: ScoreProgress) => void;
  device: Device;
  /** The evaluation workers (eval_lanes.ts); default one on `device` with every core. */
  lanes?: EvalLane[];
  /** Where evaluations run (evaluator.ts); default in this process on `lanes`. A queue's workers instead. */
  evaluator?: Evaluator;
  /** Where a pseudo-gradient window's peers are measured; default in this process. A queue's workers instead. */
  windowWorkers?: WindowWorkers;
  /**
   * A namespace of the model store: each pseudo-gradient competition's next checkpoints are
   * committed to `namespace/{competition}-global` for miners and queue workers (window_publish.ts).
   */
  publishCheckpoints?: string;
  /** When false, weights are computed and logged but not sent. */
  setWeights: boolean;
  telemetry: Telemetry;
  log: (line: string) => void;
  batchSize?: number;
  /** Which models each step evaluates, and each one's time limit (default: SN9's, budget/settings.ts). */
  budget?: EvalBudget;
  now?: () => number;
  /**
   * Asks the step to stop: no further model is started, and the one being evaluated is abandoned
   * at its next batch (nothing of it is recorded, so a restart resumes the step and evaluates it
   * again). The step then throws the signal's reason.
   */
  signal?: AbortSignal;
}
