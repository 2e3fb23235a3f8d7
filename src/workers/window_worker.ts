/**
 * A queue worker's part of a pseudo-gradient window: the global checkpoint fetched by its reference
 * and held to its model hash, one float32 session of it per lane kept open while jobs of the same
 * checkpoint come (so a window's peers cost a forward pass each, not a compile each), and either
 * the global model's losses on the window's random and held-out sequences, or one peer's: its own
 * sequences before and after θ' = θ − scale·c·decode(Δ), and the random ones after. The peer's file
 * is fetched at its commit, must have the SHA-256 the validator read, and is read as strictly as
 * the validator reads it.
 */
import { createHash } from "node:crypto";
import { type CheckedModel, checkModel, formatReason, type ReplacingSession } from "../../eval/mod.ts";
import { fetchModel, readRepoFile } from "../hub/mod.ts";
import {
  layoutOf,
  maxSubmissionBytes,
  meanLoss,
  measureReplacedPeer,
  openReplacingSession,
  readParameters,
  readSubmission,
  SUBMISSION_FILE,
  type SubmissionLayout,
  type WindowData,
} from "../pseudograd/mod.ts";
import type { EvalLane } from "../validator/mod.ts";
import type { MeasuredRecord, WindowJobMessage } from "./messages.ts";
import type { WorkerOptions } from "./worker.ts";

/** One lane's open global checkpoint, and its parameters once a peer's job needs them. */
export class GlobalSession {
  #open?: {
    key: string;
    model: CheckedModel;
    layout: SubmissionLayout;
    session: ReplacingSession;
    theta?: Map<string, Float32Array>;
  };

  /** The session of the job's global checkpoint, long enough for `sequences`; another one open is released. */
  async get(o: WorkerOptions, lane: EvalLane, job: WindowJobMessage, sequences: number[][]) {
    const maxLength = Math.max(...sequences.map((s) => s.length));
    const key = `${job.global.hash} ${JSON.stringify(job.codec)} ${maxLength}`;
    if (this.#open?.key === key) return this.#open;
    await this.release();
    const { repo, revision, hash } = job.global;
    const fetched = await fetchModel(o.store, repo, revision, { cacheDir: o.cacheDir, expect: { hash } });
    const model = await checkModel(fetched.dir, { label: `window ${job.window}'s global` });
    const layout = layoutOf(model, job.codec);
    const session = await openReplacingSession(model, layout, { batchSize: job.batchSize, ...lane }, sequences);
    this.#open = { key, model, layout, session };
    return this.#open;
  }

  /** The open checkpoint's parameters as float32 (its size in memory), read at the first peer's job. */
  async theta(): Promise<Map<string, Float32Array>> {
    const open = this.#open!;
    return open.theta ??= await readParameters(open.model);
  }

  async release(): Promise<void> {
    const open = this.#open;
    this.#open = undefined;
    await open?.session.release();
  }
}

/** Measures the job's part of the window; a fault of the checkpoint, the file or the data is a failed record. */
export async function measureWindowJob(
  o: WorkerOptions,
  lane: EvalLane,
  job: WindowJobMessage,
  data: WindowData,
  global: GlobalSession,
): Promise<MeasuredRecord> {
  const started = performance.now();
  try {
    const all = [data.random, ...data.own.values(), data.heldOut ?? []].flat();
    const g = await global.get(o, lane, job, all);
    const loadMs = performance.now() - started;
    let taskLosses: Record<string, number>;
    if (!job.peer) {
      taskLosses = { random_before: await meanLoss(g.session, data.random, job.batchSize) };
      if (data.heldOut) taskLosses.held_out_before = await meanLoss(g.session, data.heldOut, job.batchSize);
    } else {
      const { uid, factors } = job.peer;
      const own = data.own.get(uid);
      if (!own || own.length === 0) throw new RangeError(`the window's data has no own sequences for uid ${uid}`);
      const submission = readSubmission(await peerFile(o, job, g.layout), g.layout, `uid ${uid}'s ${SUBMISSION_FILE}`);
      const update = { layout: g.layout, submission, scale: job.scale, factors: new Map(Object.entries(factors)) };
      const m = await measureReplacedPeer(g.session, await global.theta(), update, {
        own,
        random: data.random,
        batchSize: job.batchSize,
      });
      taskLosses = { own_before: m.ownBefore, own_after: m.ownAfter, random_after: m.randomAfter };
    }
    const loss = job.peer ? taskLosses.own_after : taskLosses.random_before;
    return {
      status: "ok",
      reason: null,
      loss,
      taskLosses,
      lossesSha256: null,
      loadMs,
      computeMs: performance.now() - started - loadMs,
    };
  } catch (e) {
    o.signal.throwIfAborted();
    return {
      status: "failed",
      reason: formatReason((e as Error).message),
      loss: null,
      taskLosses: {},
      lossesSha256: null,
      loadMs: null,
      computeMs: null,
    };
  }
}

/** The peer's file at its commit, within the layout's size, with the SHA-256 the validator read. */
async function peerFile(o: WorkerOptions, job: WindowJobMessage, layout: SubmissionLayout): Promise<Uint8Array> {
  const { repo, revision, sha256, uid } = job.peer!;
  const bytes = await readRepoFile(o.store, {
    repo,
    commit: revision,
    path: SUBMISSION_FILE,
    maxBytes: maxSubmissionBytes(layout),
    cacheDir: o.cacheDir,
  });
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== sha256) {
    throw new RangeError(
      `uid ${uid}: ${SUBMISSION_FILE} hashes to ${actual.slice(0, 12)}…, not the ${
        sha256.slice(0, 12)
      }… the validator read`,
    );
  }
  return bytes;
}
