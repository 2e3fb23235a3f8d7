/** A competition and the schedule of competitions over blocks, as plain data. */
import type { EpsilonDecay } from "../scoring/mod.ts";

/** One evaluation task: pages of a dataset, weighted in the model's score. */
export interface EvalTask {
  id: string;
  /** A dataset id known to the loaders (see src/data/datasets.ts). */
  dataset: string;
  /** Pages drawn per evaluation step. */
  pages: number;
  /** Share of the model's score; a competition's task weights sum to 1. */
  weight: number;
}

/**
 * An adapter competition's rules: the pinned base every adapter is applied to (checked on
 * download like a miner's model, against its plain model hash), and what an adapter may be.
 */
export interface AdapterRules {
  base: { repo: string; revision: string; hash: string };
  /** Highest LoRA rank `r`. */
  maxRank: number;
  /** Module names (the last part of a module's key, as in PEFT's `target_modules`) that may be adapted. */
  targetModules: string[];
  /** Whether DoRA (`use_dora`) adapters may enter. */
  dora: boolean;
}

/** What miners publish: full models, or PEFT LoRA/DoRA adapters on a pinned base. */
export type CompetitionKind = "model" | "adapter";

/**
 * One competition: what may enter and how it is judged and paid. A tagged union by `kind`, so
 * code that has checked `kind === "adapter"` holds the adapter rules without an assertion.
 */
export type Competition = ModelCompetition | AdapterCompetition;

/** Full models (the default kind). */
export interface ModelCompetition extends CompetitionRules {
  kind?: "model";
  adapter?: undefined;
}

/** PEFT adapters on a pinned base, each of which must beat the base. */
export interface AdapterCompetition extends CompetitionRules {
  kind: "adapter";
  adapter: AdapterRules;
}

/** What every kind of competition has. */
export interface CompetitionRules {
  /** Committed in the metadata string; 0–65535. */
  id: number;
  name: string;
  /** Parameter range of the model (of the base, in an adapter competition). */
  minParameters: number;
  maxParameters: number;
  /** Cap on the total bytes of the hashed file set (the adapter's, in an adapter competition). */
  maxBytes: number;
  sequenceLength: number;
  /** "gpt2" (bundled), "byte" (the fixture tokenizer), or a local directory / HF repo id. */
  tokenizer: string;
  /** `config.json` architecture names allowed (a subset of the engine's allow-list). */
  architectures: string[];
  tasks: EvalTask[];
  /** Share of the subnet's weight; shares of the competitions in force sum to 1. */
  rewardShare: number;
  epsilon: EpsilonDecay;
  /** Blocks a commitment must age before it is evaluated. */
  evalBlockDelay: number;
}

/** The competitions in force from `startBlock` until the next entry's start. */
export interface ScheduleEntry {
  startBlock: number;
  competitions: Competition[];
}

/** Entries in ascending `startBlock` order. */
export type Schedule = ScheduleEntry[];
