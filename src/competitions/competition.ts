/** A competition and the schedule of competitions over blocks, as plain data. */
import type { CodecSettings } from "../pseudograd/mod.ts";
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

/**
 * A pseudo-gradient competition's rules (docs/pseudograd.md): one shared global model from a
 * pinned start, windows of `windowBlocks` from `startBlock`, each miner's compressed update
 * committed in the `putBlocks` after its window, and how a window is scored and aggregated.
 */
export interface PseudogradRules {
  base: { repo: string; revision: string; hash: string };
  startBlock: number;
  windowBlocks: number;
  putBlocks: number;
  codec: CodecSettings;
  /** Pages each miner is assigned per window (from the hash of the window's first block). */
  assignedPages: number;
  /** Of a miner's assigned sequences, how many (chosen from the deadline's hash) measure it. */
  ownSequences: number;
  /** Pages of the window's common random data (from the deadline's hash). */
  randomPages: number;
  /** Of those pages' sequences, how many (chosen from the deadline's hash) every peer is measured on. */
  randomSequences: number;
  /** Pages of the fixed held-out data each new global model is scored on. */
  heldOutPages: number;
  /** Of those pages' sequences, how many (a fixed choice) make the held-out loss. */
  heldOutSequences: number;
  /** The update scale in the loss measurement (Templar: 0.2). */
  eta: number;
  /** θ_next = θ − outerLr · aggregate (Templar: 1.0). */
  outerLr: number;
  /** How many peers, the best by final before the window, make the next global model. */
  gather: number;
  /** Index overlap at or above which the later of two submissions is a copy. */
  overlapThreshold: number;
}

/** What miners publish: full models, PEFT LoRA/DoRA adapters on a pinned base, or compressed pseudo-gradients. */
export type CompetitionKind = "model" | "adapter" | "pseudograd";

/**
 * One competition: what may enter and how it is judged and paid. A tagged union by `kind`, so
 * code that has checked `kind === "adapter"` holds the adapter rules without an assertion.
 */
export type Competition = ModelCompetition | AdapterCompetition | PseudogradCompetition;

/** Full models (the default kind). */
export interface ModelCompetition extends CompetitionRules {
  kind?: "model";
  adapter?: undefined;
  pseudograd?: undefined;
}

/** PEFT adapters on a pinned base, each of which must beat the base. */
export interface AdapterCompetition extends CompetitionRules {
  kind: "adapter";
  adapter: AdapterRules;
  pseudograd?: undefined;
}

/** Compressed pseudo-gradients of one shared global model, scored window by window. */
export interface PseudogradCompetition extends CompetitionRules {
  kind: "pseudograd";
  pseudograd: PseudogradRules;
  adapter?: undefined;
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
