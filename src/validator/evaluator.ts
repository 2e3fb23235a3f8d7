/**
 * Where a step's model evaluations run. The embedded default runs them in this process, one lane
 * per device (`inProcessEvaluator`, over eval_lanes.ts); src/workers runs them on queue workers
 * on any machine. Either way each result comes back through `onResult` as it finishes, and the
 * step records it keyed by (step, hotkey), so the order results arrive in changes nothing stored.
 */
import { formatDeviceSpec } from "../../eval/mod.ts";
import type { Competition } from "../competitions/mod.ts";
import type { TaskData } from "../data/mod.ts";
import type { FetchedModel } from "../hub/mod.ts";
import { type EvalLane, runInLanes } from "./eval_lanes.ts";
import { type EvalSettings, evaluateModel } from "./evaluate_model.ts";
import type { EvalRecord, TrackedModel } from "./state.ts";
import type { StepBase } from "./step_base.ts";

/** A model of the step and why it is in it (the budget's plan, step_budget.ts). */
export interface Candidate {
  model: TrackedModel;
  why: string;
}

/** What a step hands its evaluator: the models still to evaluate and everything they are scored on. */
export interface StepEvaluation {
  stepId: number;
  /** Names this validator's step everywhere outside its state (queue subjects): address, step id and seed. */
  stepKey: string;
  competition: Competition;
  /** The step's packed token sequences, per task (with the manifest and hash of each). */
  tasks: TaskData[];
  /** In an adapter competition: the step's base, scored and checked. */
  stepBase?: StepBase;
  /** The models still to evaluate, each with why the budget put it in the step. */
  models: Candidate[];
  settings: EvalSettings;
  /** For a download made in this process: the record of the validator's own cache entries. */
  onFetched?: (model: TrackedModel) => (fetched: FetchedModel) => void;
}

/** Runs a step's evaluations. */
export interface Evaluator {
  /**
   * Evaluates every model, calling `onResult` once per model as each result is in. Throws when
   * the step must stop (its signal aborted); a model's own fault is a result, never a throw.
   */
  evaluate(step: StepEvaluation, onResult: (m: Candidate, result: EvalRecord) => void): Promise<void>;
}

/** The embedded default: evaluations in this process, one model at a time per lane. */
export function inProcessEvaluator(lanes: readonly EvalLane[]): Evaluator {
  return {
    async evaluate(step, onResult) {
      const { settings: s } = step;
      await runInLanes(step.models, lanes, async (m, lane) => {
        s.signal?.throwIfAborted();
        const where = laneName(lane);
        const { model } = m;
        s.log(
          `  uid ${model.uid} ${model.repo}@${model.revision.slice(0, 8)}: evaluating (${m.why})${
            lanes.length > 1 ? ` on ${where}` : ""
          }`,
        );
        const result = await evaluateModel(
          {
            model,
            competition: step.competition,
            tasks: step.tasks,
            stepId: step.stepId,
            stepBase: step.stepBase?.model,
          },
          { ...s, ...lane, onFetched: step.onFetched?.(model) },
        );
        onResult(m, { ...result, evaluatedOn: where });
      });
    },
  };
}

/** A lane in words: "cuda:1", "cpu (1 thread)". */
export function laneName(lane: EvalLane): string {
  const threads = lane.threads ? ` (${lane.threads} thread${lane.threads === 1 ? "" : "s"})` : "";
  return `${formatDeviceSpec(lane)}${threads}`;
}
