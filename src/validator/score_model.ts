/**
 * Scoring one model the way the validator does, the single home shared by the validator
 * (evaluate_model.ts, after the download) and a miner's preflight (`miner:eval`), so the two can
 * never disagree: the competition's limits and every header rule, the scan for non-finite
 * weights, the loss of each task (SN9's definition, in the graph) under a wall-clock cap, the
 * degenerate-output check, and the weighted score. A broken rule is a result, never an exception.
 */
import {
  type AdapterLimits,
  checkAdapter,
  type CheckedAdapter,
  type CheckedModel,
  checkModel,
  type ComputeType,
  createLossSession,
  type Device,
  evaluateLosses,
  formatReason,
  GENERATED_TOKENS,
  type LossSession,
  type ModelLimits,
  ModelRejected,
  PROMPT_TOKENS,
  sanityCheck,
  type SanityResult,
} from "../../eval/mod.ts";
import { createHash } from "node:crypto";
import type { Competition } from "../competitions/mod.ts";
import type { TaskData } from "../data/mod.ts";

/** How a model scored. */
export interface ModelScore {
  status: "ok" | "rejected" | "failed";
  /** Why it is not ok: `code: message`, one bounded line. */
  reason: string | null;
  /** The weighted score over tasks (lower is better); null unless ok. */
  loss: number | null;
  taskLosses: Record<string, number>;
  /**
   * SHA-256 (hex) of every per-sequence loss, task after task, each as a little-endian float64:
   * two runs agree on it only when every sequence's loss is bit-identical. Null unless measured.
   */
  lossesSha256: string | null;
  architecture: string | null;
  parameters: number | null;
  sanity: SanityResult | null;
  loadMs: number | null;
  computeMs: number | null;
}

/** Progress of the loss computation. */
export interface ScoreProgress {
  task: string;
  sequences: number;
  totalSequences: number;
  tokens: number;
  seconds: number;
}

/** How to run it. */
export interface ScoreSettings {
  device: Device;
  /** Which GPU of several (default the first). */
  deviceId?: number;
  /** Intra-op threads (default: every core; a worker sharing the CPU with others takes its part). */
  threads?: number;
  batchSize: number;
  /** Wall-clock cap on the loss computation. */
  timeCapMs: number;
  eosTokenId: number;
  log?: (line: string) => void;
  onProgress?: (p: ScoreProgress) => void;
  /** The compute type (default: the device's, float32 on CPU and float16 on a GPU). */
  compute?: ComputeType;
  /** Abandons the computation at its next batch: the signal's reason is thrown, nothing is scored. */
  signal?: AbortSignal;
}

/**
 * The engine limits a competition imposes on its models (one home for the mapping). In an
 * adapter competition they bind the base, and `maxBytes` caps the adapters instead.
 */
export function competitionLimits(c: Competition): ModelLimits {
  return {
    minParameters: c.minParameters,
    maxParameters: c.maxParameters,
    // An adapter's and a pseudo-gradient's caps are on what the miner sends, not on the base.
    maxBytes: c.kind === "adapter" || c.kind === "pseudograd" ? undefined : c.maxBytes,
    architectures: c.architectures,
  };
}

/** The limits on an adapter in an adapter competition. */
export function adapterLimits(c: Competition): AdapterLimits {
  if (c.kind !== "adapter") throw new TypeError(`competition ${c.id} (${c.name}) takes full models, not adapters`);
  const a = c.adapter;
  return { maxRank: a.maxRank, targetModules: a.targetModules, dora: a.dora, maxBytes: c.maxBytes };
}

/** The limits on what a miner publishes, checked before download: the whole file set's bytes at least. */
export function submissionLimits(c: Competition): ModelLimits {
  return c.kind === "adapter" ? { maxBytes: c.maxBytes } : competitionLimits(c);
}

/** What a model is scored on: its competition and the step's pages as token data. */
export interface ScoreOn<C extends Competition = Competition> {
  competition: C;
  tasks: readonly TaskData[];
}

/**
 * Scores the model in `dir` on the step's `tasks`. In an adapter competition `dir` holds an
 * adapter and `o.base` the step's checked base; `o.checked` is a model already checked (the base
 * itself), so its weights are not scanned twice.
 */
export async function scoreModel(
  dir: string,
  { competition, tasks }: ScoreOn,
  s: ScoreSettings,
  o: { base?: CheckedModel; checked?: CheckedModel } = {},
): Promise<ModelScore> {
  const started = performance.now();
  const result: ModelScore = {
    status: "ok",
    reason: null,
    loss: null,
    taskLosses: {},
    lossesSha256: null,
    architecture: null,
    parameters: null,
    sanity: null,
    loadMs: null,
    computeMs: null,
  };
  const fail = (status: "rejected" | "failed", reason: string): ModelScore => ({
    ...result,
    status,
    reason: formatReason(reason),
    loss: null,
  });
  let session: LossSession, adapter: CheckedAdapter | undefined, maxLength = competition.sequenceLength;
  try {
    if (competition.kind === "adapter" && !o.base && !o.checked) {
      throw new ModelRejected("files", `${competition.name} takes adapters; score them on the step's base`);
    }
    adapter = o.base ? await checkAdapter(dir, o.base, { limits: adapterLimits(competition) }) : undefined;
    const checked = o.base ?? o.checked ?? await checkModel(dir, { limits: competitionLimits(competition) });
    result.architecture = checked.spec.architecture;
    result.parameters = adapter?.parameterCount ?? checked.parameterCount;
    // Room for the sanity check's 100 + 20 tokens where the model has the positions.
    maxLength = Math.max(
      competition.sequenceLength,
      Math.min(checked.spec.maxPositions, PROMPT_TOKENS + GENERATED_TOKENS),
    );
    session = await createLossSession(checked, {
      device: s.device,
      deviceId: s.deviceId,
      threads: s.threads,
      maxSequenceLength: maxLength,
      log: s.log,
      adapter,
      compute: s.compute,
    });
  } catch (e) {
    result.loadMs = performance.now() - started;
    if (e instanceof ModelRejected) return fail("rejected", `${e.code}: ${e.message}`);
    return fail("failed", `could not load: ${(e as Error).message}`);
  }
  result.loadMs = performance.now() - started;
  const computeStart = performance.now();
  const deadline = computeStart + s.timeCapMs;
  /** The task losses and the sanity check on `session`; the weighted loss. */
  const measure = async (session: LossSession): Promise<number> => {
    const total = tasks.reduce((n, t) => n + t.sequences.length, 0);
    const digest = createHash("sha256");
    let before = 0;
    for (const t of tasks) {
      const losses = await evaluateLosses(session, t.sequences, {
        batchSize: s.batchSize,
        onProgress: (done) => {
          s.signal?.throwIfAborted();
          if (performance.now() > deadline) throw new RangeError(`exceeded the time cap of ${s.timeCapMs} ms`);
          const sequences = before + done;
          s.onProgress?.({
            task: t.task.id,
            sequences,
            totalSequences: total,
            tokens: sequences * competition.sequenceLength,
            seconds: (performance.now() - computeStart) / 1000,
          });
        },
      });
      before += t.sequences.length;
      digest.update(new Uint8Array(Float64Array.from(losses).buffer));
      result.taskLosses[t.task.id] = losses.reduce((a, b) => a + b, 0) / Math.max(1, losses.length);
    }
    result.lossesSha256 = digest.digest("hex");
    const first = tasks.find((t) => t.sequences.length >= 2);
    result.sanity = first
      ? await sanityCheck(session, [first.sequences[0], first.sequences[1]], { eosTokenId: s.eosTokenId, maxLength })
      : null;
    return tasks.reduce((sum, t) => sum + t.task.weight * result.taskLosses[t.task.id], 0);
  };
  try {
    let loss = await measure(session);
    if (!Number.isFinite(loss) && session.compute === "float16") {
      // float16 tops out at 65504: a model whose activations overflow there is not at fault.
      s.log?.(`${dir}: the float16 loss is not finite; scoring again in float32`);
      await session.release();
      session = await createLossSession(session.model, {
        device: session.device,
        deviceId: s.deviceId,
        threads: s.threads,
        maxSequenceLength: maxLength,
        log: s.log,
        adapter,
        compute: "float32",
      });
      loss = await measure(session);
    }
    if (result.sanity && !result.sanity.ok) {
      return { ...fail("rejected", `degenerate: ${result.sanity.reason}`), taskLosses: result.taskLosses };
    }
    if (!Number.isFinite(loss)) {
      return { ...fail("rejected", "weights: the loss is not finite"), taskLosses: result.taskLosses };
    }
    return { ...result, loss, computeMs: performance.now() - computeStart };
  } catch (e) {
    s.signal?.throwIfAborted(); // abandoned, not failed: nothing is scored
    return fail("failed", (e as Error).message);
  } finally {
    await session.release();
  }
}
