/**
 * One validator step (docs/ARCHITECTURE.md, "A step"): sync metagraph and commitments → pick the competition (round
 * robin) → seeded pages, tokenized once → evaluate its models (new ones capped per step, known
 * good ones re-evaluated on the fresh pages) → SN9 scoring → moving average → weights on chain
 * when due (commit-reveal when the subnet uses it) → telemetry. Interrupted steps resume.
 */
import type { KeyringPair } from "@polkadot/keyring/types";
import type { Device } from "../../eval/mod.ts";
import type { Chain } from "../chain/mod.ts";
import { type Competition, type Schedule, scheduleAt } from "../competitions/mod.ts";
import {
  type DatasetsServerClient,
  type EvalManifest,
  loadTokenizer,
  prepareEvalData,
  seedFromBlockHash,
  syncBlock,
  toHex,
  TokenizedPagesCache,
} from "../data/mod.ts";
import { evictOwnedCache, type ModelStore } from "../hub/mod.ts";
import { isTransient } from "../http/mod.ts";
import {
  explainOutcomes,
  improvementOverBase,
  recordCompetitionWeights,
  scoreCompetition,
  subnetWeights,
} from "../scoring/mod.ts";
import { type EvalSettings, evaluateModel } from "./evaluate_model.ts";
import { BaseUnavailable, prepareStepBase, type StepBase } from "./step_base.ts";
import type { ScoreProgress } from "./score_model.ts";
import { type Telemetry, timingStats } from "./telemetry.ts";
import type { EvalRecord, StepRecord, ValidatorState } from "./state.ts";
import { syncModels } from "./sync_models.ts";
import { sendWeights } from "./weights_sender.ts";

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
  /** When false, weights are computed and logged but not sent. */
  setWeights: boolean;
  telemetry: Telemetry;
  log: (line: string) => void;
  batchSize?: number;
  modelTimeCapMs?: number;
  /** New (never evaluated) models per step, so a flood of commitments cannot stall a step. */
  maxNewPerStep?: number;
  now?: () => number;
  /**
   * Asks the step to stop: no further model is started, and the one being evaluated is abandoned
   * at its next batch (nothing of it is recorded, so a restart resumes the step and evaluates it
   * again). The step then throws the signal's reason.
   */
  signal?: AbortSignal;
}

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

/** Runs (or resumes) one step. */
export async function runStep(ctx: ValidatorContext): Promise<StepSummary | null> {
  const now = ctx.now ?? Date.now;
  const block = await ctx.chain.currentBlock();
  const entry = scheduleAt(ctx.schedule, block);
  const metagraph = await ctx.chain.metagraph(ctx.netuid);
  syncModels(ctx.state, metagraph, await ctx.chain.commitments(ctx.netuid), ctx.schedule, block);

  // Resume an interrupted step with its own block and seed, or start the next competition's.
  const step = ctx.state.runningStep();
  let competition: Competition | undefined;
  if (step) {
    competition = entry.competitions.find((c) => c.id === step!.competitionId);
    ctx.log(`resuming step ${step.id} (block ${step.block}, competition ${step.competitionId})`);
  }
  // The rotation advances only once a step has really started, so an outage mid-preparation does
  // not skip a competition's turn.
  const index = Number(ctx.state.meta("next_competition") ?? "0") % entry.competitions.length;
  competition ??= entry.competitions[index];
  const stepBlock = step?.block ?? block;
  const sync = syncBlock(stepBlock);
  const blockHash = await ctx.chain.blockHash(sync);
  const seed = seedFromBlockHash(blockHash);

  const eligible = ctx.state.models().filter((m) =>
    m.competitionId === competition.id && m.status !== "rejected" && m.status !== "ignored" &&
    m.commitBlock + competition.evalBlockDelay <= stepBlock
  );
  const known = eligible.filter((m) => m.status === "ok" || m.status === "failed");
  const fresh = eligible.filter((m) => m.status === "pending").sort((a, b) =>
    a.commitBlock - b.commitBlock || a.uid - b.uid
  )
    .slice(0, ctx.maxNewPerStep ?? 4);
  const candidates = [...known, ...fresh].sort((a, b) => a.uid - b.uid);
  if (candidates.length === 0 && !step) {
    ctx.log(`block ${block}: no models to evaluate in competition ${competition.id} (${competition.name})`);
    ctx.state.setMeta("next_competition", String(index + 1));
    return null;
  }

  let prepared;
  try {
    const tokenizer = await loadTokenizer(competition.tokenizer, {
      cacheDir: ctx.cacheDir,
      resolveRepo: ctx.resolveTokenizer,
    });
    prepared = {
      tokenizer,
      ...await prepareEvalData({
        client: ctx.datasets,
        tokenizer,
        tasks: competition.tasks,
        sequenceLength: competition.sequenceLength,
        seed,
        block: sync,
        blockHash,
        cache: new TokenizedPagesCache(),
      }),
    };
  } catch (e) {
    await turnFailed(ctx, e as Error, { step, stepBlock, competition, seed, index, nowMs: now() });
    throw e;
  }
  const { tokenizer, tasks, manifest } = prepared;
  const settings: EvalSettings = {
    store: ctx.store,
    cacheDir: ctx.modelCacheDir,
    device: ctx.device,
    batchSize: ctx.batchSize ?? 4,
    timeCapMs: ctx.modelTimeCapMs ?? 30 * 60_000,
    eosTokenId: tokenizer.eosTokenId,
    log: ctx.log,
    onProgress: ctx.onProgress,
    signal: ctx.signal,
  };
  const ownCache =
    (repo: string, commit: string) => (f: { download: { createdSnapshot: boolean; createdBlobs: string[] } }) => {
      if (f.download.createdSnapshot) {
        ctx.state.recordOwnedCache({ repo, commit, blobs: f.download.createdBlobs, usedMs: now() });
      } else ctx.state.touchOwnedCache(repo, commit, now());
    };

  // An adapter competition's base, once per step: the loss adapters must beat (kept with the
  // step, so a resumed step does not score it again) and the model every adapter is compiled onto.
  let stepBase: StepBase | undefined;
  if (competition.kind === "adapter") {
    const { repo, revision } = competition.adapter!.base;
    try {
      stepBase = await prepareStepBase(
        competition,
        tasks,
        { ...settings, onFetched: ownCache(repo, revision) },
        step?.baseline ?? null,
      );
    } catch (e) {
      await turnFailed(ctx, e as Error, { step, stepBlock, competition, seed, index, nowMs: now() });
      throw e;
    }
    ctx.log(
      `  base ${repo}@${revision.slice(0, 8)}: loss ${stepBase.baseline.loss.toFixed(4)}${
        step?.baseline ? " (scored when the step began)" : ""
      }`,
    );
  }
  ctx.state.setMeta(`data_failures_${competition.id}`, "0");
  const stepId = step?.id ?? ctx.state.transaction(() => {
    ctx.state.setMeta("next_competition", String(index + 1));
    return ctx.state.startStep(stepBlock, competition.id, toHex(seed), manifest, now(), stepBase?.baseline ?? null);
  });
  ctx.log(
    `step ${stepId}: block ${stepBlock}, competition ${competition.id} (${competition.name}), ${candidates.length} models, ` +
      manifest.tasks.map((t) => `${t.taskId}: ${t.sequences} × ${t.sequenceLength} tokens`).join(", "),
  );

  const done = new Map(ctx.state.evals(stepId).map((e) => [e.hotkey, e]));
  const baseLoss = stepBase?.baseline.loss;
  for (const model of candidates) {
    if (done.has(model.hotkey)) continue;
    ctx.signal?.throwIfAborted();
    ctx.log(`  uid ${model.uid} ${model.repo}@${model.revision.slice(0, 8)}: evaluating`);
    const result = await evaluateModel(
      model,
      competition,
      tasks,
      stepId,
      { ...settings, onFetched: ownCache(model.repo, model.revision) },
      stepBase?.model,
    );
    ctx.state.transaction(() => {
      ctx.state.recordEval(result);
      const status = result.status === "ok" ? "ok" : result.status;
      ctx.state.upsertModel({ ...model, status, reason: result.reason, updatedBlock: block });
    });
    const improvement = improvementOverBase(baseLoss, result.loss);
    const gain = improvement === null ? "" : ` (${versusBase(improvement)})`;
    ctx.log(
      `  uid ${model.uid}: ${
        result.status === "ok" ? `loss ${result.loss!.toFixed(4)}${gain}` : `${result.status}: ${result.reason}`
      }`,
    );
    done.set(model.hotkey, result);
  }

  // Scoring over this step's results (models that failed count as failed, not as absent).
  // A result counts only while its hotkey still holds its uid (a deregistered hotkey's results,
  // from before a restart, must not pass to the uid's new owner).
  const holder = new Map(metagraph.neurons.map((n) => [n.hotkey, n.uid]));
  const results = [...done.values()].filter((r) => holder.get(r.hotkey) === r.uid);
  // The base counts as committed when its schedule entry began.
  const baseline = stepBase && { loss: stepBase.baseline.loss, block: scheduleAt(ctx.schedule, stepBlock).startBlock };
  const outcomes = scoreCompetition(
    results.map((r) => ({ uid: r.uid, block: r.commitBlock, loss: r.loss ?? Infinity })),
    competition.epsilon,
    stepBlock,
    baseline,
  );
  const stepWeights = new Map(outcomes.map((o) => [o.uid, o.weight]));
  const ema = recordCompetitionWeights(ctx.state.ema(), competition.id, stepWeights);
  const explanations = explainOutcomes(outcomes, competition.epsilon, stepBlock, baseline);
  const byUid = new Map(results.map((r) => [r.uid, r.hotkey]));
  ctx.state.finishStep(
    stepId,
    outcomes.map((o) => ({
      hotkey: byUid.get(o.uid)!,
      winRate: o.winRate,
      wins: o.wins,
      epsilon: o.epsilon,
      weight: o.weight,
      excluded: o.excluded ?? null,
      explanation: explanations.get(o.uid)!,
    })),
    ema,
    now(),
  );

  const shares = new Map(entry.competitions.map((c) => [c.id, c.rewardShare]));
  const subnet = subnetWeights(ema, shares);
  const weightsResult = ctx.setWeights ? await sendWeights(ctx, subnet, metagraph) : "not sent (--dont-set-weights)";

  const holders = new Set(results.map((r) => r.hotkey));
  await ctx.telemetry.log({
    kind: "step",
    step: stepId,
    block: stepBlock,
    competition: competition.id,
    models: ctx.state.evals(stepId).filter((e) => holders.has(e.hotkey)).map((e) => ({
      ...e,
      weightedTaskLosses: Object.fromEntries(
        competition.tasks.map((t) => [t.id, (e.taskLosses[t.id] ?? NaN) * t.weight]),
      ),
      competitionWeight: ema[competition.id]?.[e.uid] ?? 0,
      improvement: improvementOverBase(baseLoss, e.loss),
    })),
    timings: {
      loadMs: timingStats(results.map((r) => r.loadMs).filter((x): x is number => x !== null)),
      computeMs: timingStats(results.map((r) => r.computeMs).filter((x): x is number => x !== null)),
    },
    baseline: stepBase?.baseline ?? null,
    subnetWeights: Object.fromEntries(subnet),
    weightsResult,
    manifest: manifest satisfies EvalManifest,
  });
  await evictModels(ctx);
  return { stepId, block: stepBlock, competition, results, weights: subnet, weightsResult };
}

/** Thrown when a competition's data failed for good: its turn is recorded as failed and the rotation moves on. */
export class StepSkipped extends Error {
  constructor(readonly competitionId: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StepSkipped";
  }
}

/**
 * Counts a failed turn: the data could not be prepared, or an adapter competition's base could
 * not serve. After `maxDataAttempts` tries, or at once for a failure that no retry can mend (the
 * dataset refused for good, a base off its pin), the step is recorded as failed with the reason and
 * the rotation moves on, so one broken dataset or base cannot hold the other competitions.
 * Throws `StepSkipped` then; otherwise returns and the caller rethrows for a later retry.
 */
async function turnFailed(
  ctx: ValidatorContext,
  e: Error,
  o: {
    step: StepRecord | undefined;
    stepBlock: number;
    competition: Competition;
    seed: Uint8Array;
    index: number;
    nowMs: number;
  },
): Promise<void> {
  const key = `data_failures_${o.competition.id}`;
  const failures = Number(ctx.state.meta(key) ?? "0") + 1;
  const limit = ctx.maxDataAttempts ?? 3;
  const lasting = e instanceof BaseUnavailable ? e.lasting : !isTransient(e);
  if (!lasting && failures < limit) {
    ctx.state.setMeta(key, String(failures));
    ctx.log(`competition ${o.competition.id}: ${what(e)} (try ${failures} of ${limit}): ${e.message}`);
    return;
  }
  const reason = `${what(e)}${lasting ? "" : ` ${failures} times`}: ${e.message}`;
  ctx.state.transaction(() => {
    ctx.state.failStep({
      stepId: o.step?.id,
      block: o.stepBlock,
      competitionId: o.competition.id,
      seed: toHex(o.seed),
      reason,
      nowMs: o.nowMs,
    });
    ctx.state.setMeta(key, "0");
    if (!o.step) ctx.state.setMeta("next_competition", String(o.index + 1));
  });
  ctx.log(`competition ${o.competition.id} (${o.competition.name}) skipped this turn: ${reason}`);
  await ctx.telemetry.log({ kind: "step_failed", block: o.stepBlock, competition: o.competition.id, reason })
    .catch((t) => ctx.log(`telemetry: ${(t as Error).message}`));
  throw new StepSkipped(o.competition.id, reason, { cause: e });
}

/** An adapter's loss against the base's, in words. */
function versusBase(gain: number): string {
  const by = Math.abs(gain).toFixed(4);
  return gain > 0 ? `improves on the base by ${by}` : gain < 0 ? `worse than the base by ${by}` : "the base's own loss";
}

/** What failed: the data, or an adapter competition's base. */
function what(e: Error): string {
  return e instanceof BaseUnavailable ? "the base model failed" : "data preparation failed";
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
