/**
 * One validator step (docs/ARCHITECTURE.md, "A step"): sync metagraph and commitments → pick the
 * competition (round robin) → plan the evaluation budget (the models kept from its last step, new
 * commitments, retries, models other validators weight; step_budget.ts) → seeded pages, tokenized
 * once → evaluate those models → SN9 scoring → moving average → weights on chain when due
 * (commit-reveal when the subnet uses it) → telemetry. Interrupted steps resume.
 */
import type { Competition } from "../competitions/mod.ts";
import {
  type EvalManifest,
  prepareCompetitionPages,
  type TaskData,
  type TextTokenizer,
  toHex,
  TokenizedPagesCache,
} from "../data/mod.ts";
import { evictOwnedCache } from "../hub/mod.ts";
import { improvementOverBase } from "../scoring/mod.ts";
import type { ValidatorContext } from "./context.ts";
import type { EvalSettings } from "./evaluate_model.ts";
import { type Candidate, inProcessEvaluator, type StepEvaluation } from "./evaluator.ts";
import { prepareStepBase, type StepBase } from "./step_base.ts";
import { logStep, scoreStep } from "./step_scoring.ts";
import type { EvalRecord } from "./state.ts";
import { startQueue } from "./budget/mod.ts";
import { budgetOf, planStep } from "./step_budget.ts";
import { orFailTurn, takeTurn, type Turn } from "./turn.ts";
import { sendWeights } from "./weights_sender.ts";
import { runWindowTurn } from "./windows/mod.ts";

/** What a step did. */
export interface StepSummary {
  stepId: number;
  block: number;
  competition: Competition;
  results: EvalRecord[];
  /** The subnet weights this step arrived at (uid → share), before shaping for the chain. */
  weights: Map<number, number>;
  weightsResult: string;
}

/** Runs (or resumes) one step, one function per phase. */
export async function runStep(ctx: ValidatorContext): Promise<StepSummary | null> {
  const turn = await takeTurn(ctx);
  if (turn.competition.kind === "pseudograd") return await runWindowTurn(ctx, turn, turn.competition);
  const candidates = await planStep(ctx, turn);
  if (candidates.length === 0 && !turn.step) {
    const c = turn.competition;
    ctx.log(`block ${turn.block}: no models to evaluate in competition ${c.id} (${c.name})`);
    ctx.state.setNextCompetitionIndex(turn.index + 1);
    return null;
  }
  const data = await orFailTurn(ctx, turn, () => prepareData(ctx, turn));
  const settings = evalSettings(ctx, data.tokenizer);
  const stepBase = await orFailTurn(ctx, turn, () => prepareBase(ctx, turn, data.tasks, settings));
  const stepId = beginStep(ctx, turn, candidates, data.manifest, stepBase);
  const done = await evaluateCandidates(ctx, turn, stepId, candidates, data.tasks, settings, stepBase);
  const scored = scoreStep(ctx, turn, { stepId, done, stepBase });
  const weightsResult = ctx.setWeights
    ? await sendWeights(ctx, scored.subnet, turn.metagraph)
    : "not sent (--dont-set-weights)";
  await logStep(ctx, { turn, stepId, scored, manifest: data.manifest, stepBase, weightsResult });
  await evictModels(ctx);
  const { stepBlock: block, competition } = turn;
  return { stepId, block, competition, results: scored.results, weights: scored.subnet, weightsResult };
}

/** The seeded pages of every task, tokenized once for all the step's models. */
async function prepareData(ctx: ValidatorContext, turn: Turn) {
  return await prepareCompetitionPages(turn.competition, {
    client: ctx.datasets,
    seed: turn.seed,
    block: turn.sync,
    blockHash: turn.blockHash,
    cacheDir: ctx.cacheDir,
    resolveTokenizer: ctx.resolveTokenizer,
    cache: new TokenizedPagesCache(),
  });
}

function evalSettings(ctx: ValidatorContext, tokenizer: TextTokenizer): EvalSettings {
  return {
    store: ctx.store,
    cacheDir: ctx.modelCacheDir,
    device: ctx.device,
    batchSize: ctx.batchSize ?? 4,
    timeCapMs: budgetOf(ctx).modelTimeLimitMs,
    eosTokenId: tokenizer.eosTokenId,
    log: ctx.log,
    onProgress: ctx.onProgress,
    signal: ctx.signal,
  };
}

/** Records a model download this validator made (it may evict it later), or its use of one it has. */
function ownCache(ctx: ValidatorContext, now: () => number, repo: string, commit: string) {
  return (f: { download: { createdSnapshot: boolean; createdBlobs: string[] } }) => {
    if (f.download.createdSnapshot) {
      ctx.state.recordOwnedCache({ repo, commit, blobs: f.download.createdBlobs, usedMs: now() });
    } else ctx.state.touchOwnedCache(repo, commit, now());
  };
}

/**
 * An adapter competition's base, once per step: the loss adapters must beat (kept with the step,
 * so a resumed step does not score it again) and the model every adapter is compiled onto.
 */
async function prepareBase(
  ctx: ValidatorContext,
  turn: Turn,
  tasks: TaskData[],
  settings: EvalSettings,
): Promise<StepBase | undefined> {
  const { competition, step } = turn;
  if (competition.kind !== "adapter") return undefined;
  const { repo, revision } = competition.adapter.base;
  const onFetched = ownCache(ctx, turn.now, repo, revision);
  const stepBase = await prepareStepBase({ competition, tasks }, { ...settings, onFetched }, step?.baseline ?? null);
  ctx.log(
    `  base ${repo}@${revision.slice(0, 8)}: loss ${stepBase.baseline.loss.toFixed(4)}${
      step?.baseline ? " (scored when the step began)" : ""
    }`,
  );
  return stepBase;
}

/**
 * Starts the step in the state (the rotation moves on, the competition's pending models become
 * current), or takes up the resumed one; logs why each model is in it.
 */
function beginStep(
  ctx: ValidatorContext,
  turn: Turn,
  candidates: Candidate[],
  manifest: EvalManifest,
  stepBase: StepBase | undefined,
): number {
  const { competition, stepBlock, index } = turn;
  ctx.state.setFailedTurns(competition.id, 0);
  const stepId = turn.step?.id ?? ctx.state.transaction(() => {
    ctx.state.setNextCompetitionIndex(index + 1);
    ctx.state.budget.setQueue(startQueue(ctx.state.budget.queue(), competition.id));
    return ctx.state.startStep(
      stepBlock,
      competition.id,
      toHex(turn.seed),
      manifest,
      turn.now(),
      stepBase?.baseline ?? null,
    );
  });
  ctx.log(
    `step ${stepId}: block ${stepBlock}, competition ${competition.id} (${competition.name}), ${candidates.length} models, ` +
      manifest.tasks.map((t) => `${t.taskId}: ${t.sequences} × ${t.sequenceLength} tokens`).join(", "),
  );
  ctx.log(`  budget: ${budgetLine(candidates)}`);
  const left = leftOut(ctx, competition.id, candidates);
  if (left.length > 0) {
    ctx.log(`  not in this step: ${left.length} models`);
    for (const line of left) ctx.log(`    ${line}`);
  }
  return stepId;
}

/** Evaluates each model the step has not yet recorded, on the context's evaluator, writing each result as it finishes. */
async function evaluateCandidates(
  ctx: ValidatorContext,
  turn: Turn,
  stepId: number,
  candidates: Candidate[],
  tasks: TaskData[],
  settings: EvalSettings,
  stepBase: StepBase | undefined,
): Promise<Map<string, EvalRecord>> {
  const done = new Map(ctx.state.evals(stepId).map((e) => [e.hotkey, e]));
  const models = candidates.filter((c) => !done.has(c.model.hotkey));
  const evaluator = ctx.evaluator ?? inProcessEvaluator(ctx.lanes ?? [{ device: ctx.device }]);
  const step: StepEvaluation = {
    stepId,
    stepKey: stepKey(ctx.hotkey.address, stepId, turn.seed),
    competition: turn.competition,
    tasks,
    stepBase,
    models,
    settings,
    onFetched: (model) => ownCache(ctx, turn.now, model.repo, model.revision),
  };
  await evaluator.evaluate(step, ({ model, why }, result) => {
    if (done.has(model.hotkey)) return;
    ctx.state.transaction(() => {
      ctx.state.recordEval({ ...result, queued: why });
      ctx.state.upsertModel({ ...model, status: result.status, reason: result.reason, updatedBlock: turn.block });
    });
    const improvement = improvementOverBase(stepBase?.baseline.loss, result.loss);
    const gain = improvement === null ? "" : ` (${versusBase(improvement)})`;
    ctx.log(
      `  uid ${model.uid}: ${
        result.status === "ok" ? `loss ${result.loss!.toFixed(4)}${gain}` : `${result.status}: ${result.reason}`
      }`,
    );
    done.set(model.hotkey, result);
  });
  return done;
}

/** The step's name outside the state: the validator's address, its step id and the step's seed. */
function stepKey(address: string, stepId: number, seed: Uint8Array): string {
  return `${address.slice(0, 12)}-${stepId}-${toHex(seed).slice(0, 16)}`;
}

/** The step's models by why they are in it: "3 kept, 2 new commitment, 1 retried". */
function budgetLine(candidates: Candidate[]): string {
  const kinds = new Map<string, number>();
  for (const { why } of candidates) {
    const kind = why.split(":")[0];
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return [...kinds].map(([kind, n]) => `${n} ${kind}`).join(", ") || "nothing to evaluate";
}

/** The competition's models the step leaves out, each with its note: "uid 7: lost at block 240: …". */
function leftOut(ctx: ValidatorContext, competitionId: number, candidates: Candidate[]): string[] {
  const inStep = new Set(candidates.map((c) => c.model.hotkey));
  const notes = ctx.state.budget.notes();
  return ctx.state.models()
    .filter((m) => m.competitionId === competitionId && !inStep.has(m.hotkey))
    .map((m) => `uid ${m.uid}: ${notes.get(m.hotkey) ?? m.status}`);
}

/** An adapter's loss against the base's, in words. */
function versusBase(gain: number): string {
  const by = Math.abs(gain).toFixed(4);
  return gain > 0 ? `improves on the base by ${by}` : gain < 0 ? `worse than the base by ${by}` : "the base's own loss";
}

/** Keeps this validator's models in the cache under its cap, never one a commitment references. */
async function evictModels(ctx: ValidatorContext): Promise<void> {
  if (ctx.modelCacheMaxBytes === undefined) return;
  const report = await evictOwnedCache(ctx.modelCacheDir, {
    owned: ctx.state.ownedCache(),
    keep: ctx.state.models().map((m) => ({ repo: m.repo, commit: m.revision })),
    maxBytes: ctx.modelCacheMaxBytes,
  });
  for (const r of report.removed) ctx.state.forgetOwnedCache(r.repo, r.commit);
  if (report.removed.length > 0) {
    ctx.log(
      `model cache: evicted ${report.removed.length} unreferenced models (${
        (report.freedBytes / 1e9).toFixed(2)
      } GB); ` +
        `${(report.ownedBytes / 1e9).toFixed(2)} GB of this validator's downloads remain`,
    );
  }
  if (report.overCapBy > 0) {
    ctx.log(
      `model cache: ${
        (report.overCapBy / 1e9).toFixed(2)
      } GB over the cap, and every remaining model is referenced by a current commitment`,
    );
  }
}
