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
import {
  type CheckedModel,
  checkModel,
  createLossSession,
  type Device,
  evaluateLosses,
  type LossSession,
} from "../../eval/mod.ts";
import { lowerMedian, updateNorm } from "./aggregate.ts";
import { decodeParameter } from "./decode.ts";
import type { SubmissionLayout } from "./layout.ts";
import { type CheckpointManifest, writeNextCheckpoint } from "./next_checkpoint.ts";
import { findCopies, OVERLAP_THRESHOLD } from "./overlap.ts";
import { writePeerModel } from "./peer_model.ts";
import { applySlash, type Slash } from "./slashes.ts";
import { checkSubmissionFor, readSubmission, type Submission, SubmissionRefused } from "./submission.ts";
import { submissionTiming, type WindowRules } from "./window.ts";
import {
  NEW_PEER,
  type PeerStanding,
  scoreWindow,
  TEMPLAR_WINDOW_SCORE,
  type WindowScoreSettings,
} from "./window_score.ts";

/** One peer's file for the window, with the block that included its commitment. */
export interface WindowSubmission {
  uid: number;
  block: number;
  /** The file's bytes, or why it could not be had (a missing file, a hash that does not match). */
  file: Uint8Array | { unavailable: string };
  /** SHA-256 (hex) of the file, for the checkpoint's manifest. */
  sha256: string;
}

/** The window's sequences: each peer's hidden own subset, the common random ones, and held-out ones for the new checkpoint. */
export interface WindowData {
  own: ReadonlyMap<number, number[][]>;
  random: number[][];
  heldOut?: number[][];
}

/** How a window is evaluated (Templar HEAD: η 0.2, outer lr 1.0, 20 gathered, α 0.05, β 7, τ 0.1, overlap 0.4). */
export interface WindowEvalSettings {
  eta: number;
  outerLr: number;
  /** How many peers' submissions make the next checkpoint: the best by final before the window. */
  gatherCount: number;
  overlapThreshold: number;
  score: WindowScoreSettings;
  batchSize: number;
  device?: Device;
  threads?: number;
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
  status: "scored" | "missing" | "late" | "invalid" | "copy";
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
  o: {
    window: number;
    rules: WindowRules;
    layout: SubmissionLayout;
    baseHash: string;
    submissions: readonly WindowSubmission[];
    /** Peers expected to submit (the gather set); one without a submission is slashed as missing. */
    expected?: readonly number[];
    data: WindowData;
    standing: ReadonlyMap<number, PeerStanding>;
    settings?: WindowEvalSettings;
    /** A directory for this window's models (the peers' temporary copies, and `next/`). */
    workDir: string;
    log?: (line: string) => void;
  },
): Promise<WindowOutcome> {
  const s = o.settings ?? TEMPLAR_WINDOW_EVAL;
  const standing = new Map(o.standing);
  const results = new Map<number, WindowPeerResult>();
  const slash = (uid: number, status: WindowPeerResult["status"], reason: string, rule: Slash, extra = {}) => {
    const after = applySlash(standing.get(uid) ?? NEW_PEER, rule, o.window);
    standing.set(uid, after);
    results.set(uid, { uid, status, reason, standing: after, ...extra });
  };

  // Timing and the file's rules.
  const valid: { uid: number; block: number; submission: Submission; sha256: string }[] = [];
  for (const sub of [...o.submissions].sort((a, b) => a.uid - b.uid)) {
    const timing = submissionTiming(sub.block, o.window, o.rules);
    if (timing === "late") {
      slash(sub.uid, "late", `committed at block ${sub.block}, after the deadline`, { rule: "late" });
      continue;
    }
    if (timing === "early") {
      // Read at the deadline, the latest commitment is from before the window ended: an older window's.
      slash(sub.uid, "missing", `its latest commitment (block ${sub.block}) is from before this window ended`, {
        rule: "missing",
      });
      continue;
    }
    if ("unavailable" in sub.file) {
      slash(sub.uid, "missing", sub.file.unavailable, { rule: "missing" });
      continue;
    }
    try {
      const submission = readSubmission(sub.file, o.layout, `uid ${sub.uid}'s pseudograd.safetensors`);
      checkSubmissionFor(submission.meta, { window: o.window, base: o.baseHash });
      valid.push({ uid: sub.uid, block: sub.block, submission, sha256: sub.sha256 });
    } catch (e) {
      if (!(e instanceof SubmissionRefused)) throw e;
      slash(sub.uid, "invalid", `${e.rule}: ${e.message}`, { rule: "invalid" });
    }
  }
  for (const uid of o.expected ?? []) {
    if (!o.submissions.some((x) => x.uid === uid)) slash(uid, "missing", "no submission", { rule: "missing" });
  }

  // Copies: the later commitment of a pair that overlaps is slashed and not gathered.
  const copies = findCopies(o.layout, valid, s.overlapThreshold);
  for (const c of copies.values()) {
    slash(
      c.uid,
      "copy",
      `${(100 * c.overlap).toFixed(1)}% of its positions are uid ${c.of}'s (${c.severity})`,
      { rule: "copy", severity: c.severity },
      { overlap: c.overlap },
    );
  }
  // Evaluated: every valid submission that is not a copy. Gathered into the next checkpoint: the
  // best of those by their final before this window (Templar gathers the top peers by weight).
  const evaluated = valid.filter((v) => !copies.has(v.uid));
  const finalBefore = (uid: number) => o.standing.get(uid)?.final ?? 0;
  const gathered = [...evaluated]
    .sort((a, b) => finalBefore(b.uid) - finalBefore(a.uid) || a.uid - b.uid)
    .slice(0, s.gatherCount)
    .sort((a, b) => a.uid - b.uid);

  // Clip norms over the evaluated submissions (Templar: the gathered ones), then each peer's clip factors.
  const clipNorm = new Map<string, number>();
  const norms = new Map<number, Map<string, number>>(evaluated.map((g) => [g.uid, new Map()]));
  for (const p of o.layout.parameters) {
    const each = evaluated.map((g) => updateNorm(decodeParameter(p, g.submission.parameters.get(p.name)!)));
    evaluated.forEach((g, i) => norms.get(g.uid)!.set(p.name, each[i]));
    if (each.length > 0) clipNorm.set(p.name, lowerMedian(each));
  }

  // Losses: before from one session of the global model, after from one session of each peer's θ'.
  const open = (model: CheckedModel) =>
    createLossSession(model, {
      maxSequenceLength: Math.max(
        ...[o.data.random, ...o.data.own.values(), o.data.heldOut ?? []].flat().map((x) => x.length),
      ),
      compute: "float32",
      device: s.device,
      threads: s.threads,
    });
  const mean = async (session: LossSession, sequences: number[][]) => {
    const xs = await evaluateLosses(session, sequences, { batchSize: s.batchSize });
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const global = await open(base);
  let randomBefore: number, heldOutBefore: number | undefined;
  const measured = [];
  try {
    randomBefore = await mean(global, o.data.random);
    if (o.data.heldOut) heldOutBefore = await mean(global, o.data.heldOut);
    for (const g of evaluated) {
      const own = o.data.own.get(g.uid);
      if (!own || own.length === 0) throw new RangeError(`no own sequences for uid ${g.uid}`);
      const factors = new Map(
        o.layout.parameters.map((
          p,
        ) => [p.name, Math.min(1, clipNorm.get(p.name)! / (norms.get(g.uid)!.get(p.name)! + 1e-8))]),
      );
      const dir = join(o.workDir, `uid-${g.uid}`);
      const scale = s.eta * s.outerLr;
      await writePeerModel(base, { layout: o.layout, submission: g.submission, scale, outDir: dir, factors });
      const peer = await open(await checkModel(dir, { scanWeights: false, label: `uid ${g.uid} applied` }));
      try {
        const ownBefore = await mean(global, own);
        const ownAfter = await mean(peer, own), randomAfter = await mean(peer, o.data.random);
        measured.push({ uid: g.uid, ownBefore, ownAfter, randomAfter, clip: Math.min(...factors.values()) });
        o.log?.(
          `uid ${g.uid}: own ${ownBefore.toFixed(5)} → ${ownAfter.toFixed(5)}, random ${randomBefore.toFixed(5)} → ${
            randomAfter.toFixed(5)
          }`,
        );
      } finally {
        await peer.release();
        await Deno.remove(dir, { recursive: true });
      }
    }
  } finally {
    await global.release();
  }
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
      const session = await open(await checkModel(dir, { scanWeights: false }));
      try {
        next.heldOutLoss = await mean(session, o.data.heldOut);
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
