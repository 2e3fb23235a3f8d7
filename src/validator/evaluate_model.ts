/**
 * One model's evaluation in a step: fetch (header checks, download, hash check), then the loss on
 * every task's sequences with the in-graph loss, then the degenerate-output check. Every failure
 * becomes a result with a reason; a model that runs past its time cap fails instead of hanging.
 */
import {
  checkModel,
  createLossSession,
  type Device,
  evaluateLosses,
  GENERATED_TOKENS,
  ModelRejected,
  PROMPT_TOKENS,
  sanityCheck,
} from "../../eval/mod.ts";
import type { Competition } from "../competitions/mod.ts";
import type { TaskData } from "../data/mod.ts";
import { downloadMeter, type FetchedModel, fetchModel, type ModelStore } from "../hub/mod.ts";
import type { EvalRecord, TrackedModel } from "./state.ts";

/** Settings for evaluating models. */
export interface EvalSettings {
  store: ModelStore;
  cacheDir: string;
  device: Device;
  batchSize: number;
  /** Wall-clock cap on one model's loss computation. */
  timeCapMs: number;
  eosTokenId: number;
  log: (line: string) => void;
  /** Least time between two download progress lines per model (default 10 s). */
  progressIntervalMs?: number;
  /** Told what each successful fetch left in the cache (for the record of the validator's own entries). */
  onFetched?: (fetched: FetchedModel) => void;
}

/** Evaluates `model` on the step's data; never throws for a model's own fault. */
export async function evaluateModel(
  model: TrackedModel,
  competition: Competition,
  tasks: TaskData[],
  stepId: number,
  s: EvalSettings,
): Promise<EvalRecord> {
  const base = {
    stepId,
    hotkey: model.hotkey,
    uid: model.uid,
    competitionId: competition.id,
    repo: model.repo,
    revision: model.revision,
    commitBlock: model.commitBlock,
  };
  const fail = (status: "rejected" | "failed", reason: string, loadMs: number | null = null): EvalRecord => ({
    ...base,
    loss: null,
    taskLosses: {},
    status,
    reason,
    loadMs,
    computeMs: null,
  });
  const started = performance.now();
  let session, maxLength = competition.sequenceLength;
  try {
    const fetched = await fetchModel(s.store, model.repo, model.revision, {
      cacheDir: s.cacheDir,
      limits: {
        minParameters: competition.minParameters,
        maxParameters: competition.maxParameters,
        maxBytes: competition.maxBytes,
        architectures: competition.architectures,
      },
      expect: { secureHash: model.secureHash, hotkey: model.hotkey },
      onProgress: downloadMeter({
        emit: s.log,
        prefix: `    uid ${model.uid}: `,
        intervalMs: s.progressIntervalMs ?? 10_000,
      }),
    });
    s.onFetched?.(fetched);
    const checked = await checkModel(fetched.dir, { limits: { architectures: competition.architectures } });
    // Room for the sanity check's 100 + 20 tokens where the model has the positions.
    maxLength = Math.max(
      competition.sequenceLength,
      Math.min(checked.spec.maxPositions, PROMPT_TOKENS + GENERATED_TOKENS),
    );
    session = await createLossSession(checked, { device: s.device, maxSequenceLength: maxLength, log: s.log });
  } catch (e) {
    if (e instanceof ModelRejected) return fail("rejected", `${e.code}: ${e.message}`, performance.now() - started);
    return fail("failed", `could not fetch or load: ${(e as Error).message}`, performance.now() - started);
  }
  const loadMs = performance.now() - started;
  try {
    const computeStart = performance.now();
    const deadline = computeStart + s.timeCapMs;
    const taskLosses: Record<string, number> = {};
    for (const t of tasks) {
      const losses = await evaluateLosses(session, t.sequences, {
        batchSize: s.batchSize,
        onProgress: () => {
          if (performance.now() > deadline) throw new RangeError(`exceeded the time cap of ${s.timeCapMs} ms`);
        },
      });
      taskLosses[t.task.id] = losses.reduce((a, b) => a + b, 0) / Math.max(1, losses.length);
    }
    const first = tasks.find((t) => t.sequences.length >= 2);
    if (first) {
      const sanity = await sanityCheck(session, first.sequences[0], first.sequences[1], s.eosTokenId, maxLength);
      if (!sanity.ok) return { ...fail("rejected", `degenerate: ${sanity.reason}`, loadMs), taskLosses };
    }
    const loss = tasks.reduce((sum, t) => sum + t.task.weight * taskLosses[t.task.id], 0);
    if (!Number.isFinite(loss)) return { ...fail("rejected", "weights: the loss is not finite", loadMs), taskLosses };
    return {
      ...base,
      loss,
      taskLosses,
      status: "ok",
      reason: null,
      loadMs,
      computeMs: performance.now() - computeStart,
    };
  } catch (e) {
    return fail("failed", (e as Error).message, loadMs);
  } finally {
    await session.release();
  }
}
