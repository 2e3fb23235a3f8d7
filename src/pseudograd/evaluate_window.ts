/**
 * One window of a pseudo-gradient competition, as a validator runs it (docs/pseudograd.md,
 * "Scoring a window"): every submission is timed against the window and read strictly; copies are
 * found among the valid ones; the rest set each parameter's clip norm, and each is measured by
 * the global model's loss before and after θ − η·lr·c·decode(Δ) on its own hidden sequences and
 * on the window's common random ones; the peers are rated and slashed; and the next global
 * checkpoint is the aggregate of the gather set, the best of them by final before the window.
 * Forward passes run in float32 (a perturbation of 1e-4 relative does not survive float16
 * weights), before and after in sessions of the same options.
 */
import { join } from "node:path";
import { type CheckedModel, checkModel } from "../../eval/mod.ts";
import { peerClipFactors } from "./clip_factors.ts";
import {
  meanLoss,
  type MeasureInputs,
  measurePeers,
  type MeasureSettings,
  openFloat32Session,
  type PeersMeasured,
} from "./measure_peers.ts";
import { type CheckpointManifest, writeNextCheckpoint } from "./next_checkpoint.ts";
import { OVERLAP_THRESHOLD } from "./overlap.ts";
import { applySlash } from "./slashes.ts";
import { type Refusal, screenSubmissions, type WindowSubmissions } from "./screen_submissions.ts";
import {
  NEW_PEER,
  type PeerStanding,
  scoreWindow,
  TEMPLAR_WINDOW_SCORE,
  type WindowScoreSettings,
} from "./window_score.ts";

/** The window's sequences: each peer's hidden own subset, the common random ones, and held-out ones for the new checkpoint. */
export interface WindowData {
  own: ReadonlyMap<number, number[][]>;
  random: number[][];
  heldOut?: number[][];
}

/** How a window is evaluated (Templar HEAD: η 0.2, outer lr 1.0, 20 gathered, α 0.05, β 7, τ 0.1, overlap 0.4). */
export interface WindowEvalSettings extends MeasureSettings {
  eta: number;
  outerLr: number;
  /** How many peers' submissions make the next checkpoint: the best by final before the window. */
  gatherCount: number;
  overlapThreshold: number;
  score: WindowScoreSettings;
}

export const TEMPLAR_WINDOW_EVAL: WindowEvalSettings = {
  eta: 0.2,
  outerLr: 1.0,
  gatherCount: 20,
  overlapThreshold: OVERLAP_THRESHOLD,
  score: TEMPLAR_WINDOW_SCORE,
  batchSize: 4,
};

/** What happened to one peer this window. */
export interface WindowPeerResult {
  uid: number;
  status: "scored" | Refusal["status"];
  reason: string;
  /** The standing after the window. */
  standing: PeerStanding;
  g?: number;
  b?: 1 | -1;
  ownBefore?: number;
  ownAfter?: number;
  randomAfter?: number;
  /** The smallest clip factor over its parameters (1 = not clipped). */
  clip?: number;
  /** Its worst overlap with another submission, when one was over the threshold. */
  overlap?: number;
}

/** The window's outcome. */
export interface WindowOutcome {
  window: number;
  randomBefore: number;
  peers: WindowPeerResult[];
  /** Every peer's standing after the window (those not seen this window unchanged). */
  standing: Map<number, PeerStanding>;
  /** The next global checkpoint, or null when no submission was gathered. */
  next: { dir: string; manifest: CheckpointManifest; heldOutLoss?: number } | null;
  heldOutBefore?: number;
}

/** Evaluates window `window` of a competition whose global checkpoint is `base` (hash `baseHash`). */
export async function evaluateWindow(
  base: CheckedModel,
  o: WindowSubmissions & {
    data: WindowData;
    standing: ReadonlyMap<number, PeerStanding>;
    settings?: WindowEvalSettings;
    /** A directory for this window's models (the peers' temporary copies, and `next/`). */
    workDir: string;
    log?: (line: string) => void;
    /** Where the forward passes run (default `measurePeers` in this process; a validator's queue workers). */
    measure?: (inputs: MeasureInputs) => Promise<PeersMeasured>;
  },
): Promise<WindowOutcome> {
  const s = o.settings ?? TEMPLAR_WINDOW_EVAL;
  const standing = new Map(o.standing);
  const results = new Map<number, WindowPeerResult>();
  const { evaluated, refused } = screenSubmissions({ ...o, overlapThreshold: s.overlapThreshold });
  for (const r of refused) {
    const after = applySlash(standing.get(r.uid) ?? NEW_PEER, r.slash, o.window);
    standing.set(r.uid, after);
    results.set(r.uid, { uid: r.uid, status: r.status, reason: r.reason, standing: after, overlap: r.overlap });
  }

  // Gathered into the next checkpoint: the best evaluated peers by their final before this window
  // (Templar gathers the top peers by weight).
  const finalBefore = (uid: number) => o.standing.get(uid)?.final ?? 0;
  const gathered = [...evaluated]
    .sort((a, b) => finalBefore(b.uid) - finalBefore(a.uid) || a.uid - b.uid)
    .slice(0, s.gatherCount)
    .sort((a, b) => a.uid - b.uid);

  // Each evaluated peer's losses, its update clipped to the lower median of the evaluated norms.
  const factors = evaluated.length > 0 ? peerClipFactors(o.layout, evaluated) : new Map();
  const measure = o.measure ?? ((inputs: MeasureInputs) => measurePeers(base, inputs));
  const { randomBefore, heldOutBefore, peers: measured } = await measure({
    layout: o.layout,
    peers: evaluated.map((e) => ({ ...e, factors: factors.get(e.uid)! })),
    own: o.data.own,
    random: o.data.random,
    heldOut: o.data.heldOut,
    scale: s.eta * s.outerLr,
    settings: s,
    workDir: o.workDir,
    log: o.log,
  });
  for (const sc of scoreWindow(measured, { randomBefore, standing, settings: s.score })) {
    const m = measured.find((x) => x.uid === sc.uid)!;
    const { uid: _, g, b, ordinal: __, ...kept } = sc;
    standing.set(sc.uid, kept);
    results.set(sc.uid, {
      uid: sc.uid,
      status: "scored",
      reason: `g ${g.toExponential(3)}, b ${b > 0 ? "+1" : "−1"}`,
      standing: kept,
      g,
      b,
      ownBefore: m.ownBefore,
      ownAfter: m.ownAfter,
      randomAfter: m.randomAfter,
      clip: m.clip,
    });
  }

  // The next checkpoint from the gather set, in uid order.
  let next: WindowOutcome["next"] = null;
  if (gathered.length > 0) {
    const dir = join(o.workDir, "next");
    const manifest = await writeNextCheckpoint(base, {
      layout: o.layout,
      parent: o.baseHash,
      peers: gathered.map((g) => ({ label: `uid ${g.uid}`, sha256: g.sha256, submission: g.submission })),
      lr: s.outerLr,
      outDir: dir,
      window: o.window,
    });
    next = { dir, manifest };
    if (o.data.heldOut) {
      const session = await openFloat32Session(await checkModel(dir, { scanWeights: false }), s, o.data.heldOut);
      try {
        next.heldOutLoss = await meanLoss(session, o.data.heldOut, s.batchSize);
      } finally {
        await session.release();
      }
    }
  }
  return {
    window: o.window,
    randomBefore,
    peers: [...results.values()].sort((a, b) => a.uid - b.uid),
    standing,
    next,
    heldOutBefore,
  };
}
