/**
 * The base of an adapter competition, once per step: fetched at its pinned revision and checked
 * against its pinned model hash (as a miner's model is against its commitment), checked with the
 * competition's limits, and scored on the step's pages with the same scoring as any model. Its
 * loss is the line every adapter must beat; its checked files are what each adapter is compiled
 * onto, so the base is read and evaluated once per step, not once per adapter.
 */
import { type CheckedModel, checkModel, ModelRejected } from "../../eval/mod.ts";
import type { AdapterCompetition } from "../competitions/mod.ts";
import { downloadMeter, type FetchedModel, fetchModel } from "../hub/mod.ts";
import type { EvalSettings } from "./evaluate_model.ts";
import { competitionLimits, scoreModel, type ScoreOn } from "./score_model.ts";
import type { StepBaseline } from "./state.ts";

/** The base, ready for adapters, and its result on the step's pages. */
export interface StepBase {
  model: CheckedModel;
  baseline: StepBaseline;
  fetched: FetchedModel;
}

/** Thrown when the base cannot serve this step; `lasting` when no retry can mend it. */
export class BaseUnavailable extends Error {
  constructor(message: string, readonly lasting: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = "BaseUnavailable";
  }
}

/**
 * Fetches, checks and (unless `known` is the step's stored result) scores the base of
 * `on.competition` on `on.tasks`. Throws `BaseUnavailable`.
 */
export async function prepareStepBase(
  on: ScoreOn<AdapterCompetition>,
  s: EvalSettings,
  known: StepBaseline | null,
): Promise<StepBase> {
  const { competition } = on;
  const { repo, revision, hash } = competition.adapter.base;
  const label = `base ${repo}@${revision.slice(0, 8)}`;
  let fetched: FetchedModel, model: CheckedModel;
  try {
    fetched = await fetchModel(s.store, repo, revision, {
      cacheDir: s.cacheDir,
      limits: competitionLimits(competition),
      expect: { hash },
      onProgress: downloadMeter({ emit: s.log, prefix: `    ${label}: `, intervalMs: s.progressIntervalMs ?? 10_000 }),
    });
    s.onFetched?.(fetched);
    model = await checkModel(fetched.dir, { limits: competitionLimits(competition), label: repo });
  } catch (e) {
    const lasting = e instanceof ModelRejected;
    throw new BaseUnavailable(`${label}: ${(e as Error).message}`, lasting, { cause: e });
  }
  if (known) return { model, baseline: known, fetched };
  const score = await scoreModel(fetched.dir, on, s, { checked: model });
  if (score.status !== "ok") {
    throw new BaseUnavailable(`${label}: ${score.status}: ${score.reason}`, score.status === "rejected");
  }
  return {
    model,
    fetched,
    baseline: {
      repo,
      revision,
      loss: score.loss!,
      taskLosses: score.taskLosses,
      loadMs: score.loadMs,
      computeMs: score.computeMs,
    },
  };
}
