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
import { join } from "node:path";
import { type CheckedModel, checkModel, formatReason, type ReplacingSession } from "../../eval/mod.ts";
import { fetchModel } from "../hub/mod.ts";
import {
  layoutOf,
  maxSubmissionBytes,
  meanLoss,
  measureReplaced,
  openReplacingSession,
  peerReplacements,
  readParameters,
  readSubmission,
  SUBMISSION_FILE,
  type SubmissionLayout,
  type WindowData,
} from "../pseudograd/mod.ts";
import type { EvalLane } from "../validator/mod.ts";
import type { MeasuredRecord, WindowJobMessage } from "./messages.ts";
import type { WorkerOptions } from "./worker.ts";

/** One lane's open global checkpoint. */
export class GlobalSession {
  #open?: {
    key: string;
    model: CheckedModel;
    layout: SubmissionLayout;
    session: ReplacingSession;
    theta: Map<string, Float32Array>;
  };

  /** The session of the job's global checkpoint, long enough for `maxLength`; another one open is released. */
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
    this.#open = { key, model, layout, session, theta: await readParameters(model) };
    return this.#open;
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
    const mean = (sequences: number[][]) => meanLoss(g.session, sequences, job.batchSize);
    let taskLosses: Record<string, number>;
    if (!job.peer) {
      taskLosses = { random_before: await mean(data.random) };
      if (data.heldOut) taskLosses.held_out_before = await mean(data.heldOut);
    } else {
      const { uid, factors } = job.peer;
      const own = data.own.get(uid);
      if (!own || own.length === 0) throw new RangeError(`the window's data has no own sequences for uid ${uid}`);
      const submission = readSubmission(await peerFile(o, job, g.layout), g.layout, `uid ${uid}'s ${SUBMISSION_FILE}`);
      const ownBefore = await mean(own);
      const replacements = peerReplacements(g.theta, {
        layout: g.layout,
        submission,
        scale: job.scale,
        factors: new Map(Object.entries(factors)),
      });
      const after = await measureReplaced(g.session, replacements, {
        own,
        random: data.random,
        batchSize: job.batchSize,
      });
      taskLosses = { own_before: ownBefore, own_after: after.ownAfter, random_after: after.randomAfter };
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
  const listed = (await o.store.revision(repo, revision)).files.find((f) => f.path === SUBMISSION_FILE);
  if (!listed) throw new RangeError(`uid ${uid}: ${repo}@${revision.slice(0, 8)} has no ${SUBMISSION_FILE}`);
  if (listed.size > maxSubmissionBytes(layout)) {
    throw new RangeError(`uid ${uid}: ${SUBMISSION_FILE} is ${listed.size} bytes, more than its layout allows`);
  }
  const got = await o.store.download({ repo, commit: revision, paths: [SUBMISSION_FILE], cacheDir: o.cacheDir });
  const bytes = await Deno.readFile(join(got.dir, SUBMISSION_FILE));
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
