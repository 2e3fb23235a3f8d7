/**
 * The first phase of a window: which submissions are evaluated, and why each other one is not.
 * A commitment included after the deadline is late; one included before the window ended is the
 * peer's latest commitment read at the deadline, so an older window's, and the peer is missing; a
 * file that could not be had is missing; one that breaks a rule of the format, or names another
 * window or checkpoint, is invalid; and of two valid files that overlap, the later commitment is a
 * copy (docs/pseudograd.md, "Windows", "Copies", "Slashes").
 */
import { findCopies } from "./overlap.ts";
import type { SubmissionLayout } from "./layout.ts";
import type { Slash } from "./slashes.ts";
import { checkSubmissionFor, readSubmission, type Submission, SubmissionRefused } from "./submission.ts";
import { submissionTiming, type WindowRules } from "./window.ts";

/** One peer's file for the window, with the block that included its commitment. */
export interface WindowSubmission {
  uid: number;
  block: number;
  /** The file's bytes, or why it could not be had (a missing file, a hash that does not match). */
  file: Uint8Array | { unavailable: string };
  /** SHA-256 (hex) of the file, for the checkpoint's manifest. */
  sha256: string;
}

/** A submission that passed every rule and is no copy. */
export interface ScreenedSubmission {
  uid: number;
  block: number;
  submission: Submission;
  sha256: string;
}

/** Why a peer is not evaluated, and the slash it takes. */
export interface Refusal {
  uid: number;
  status: "missing" | "late" | "invalid" | "copy";
  reason: string;
  slash: Slash;
  overlap?: number;
}

/** A window's submissions and what they are judged against. */
export interface WindowSubmissions {
  window: number;
  rules: WindowRules;
  /** The layout of the window's global checkpoint, and its model hash. */
  layout: SubmissionLayout;
  baseHash: string;
  submissions: readonly WindowSubmission[];
  /** Peers expected to submit (the gather set); one without a submission is missing. */
  expected?: readonly number[];
}

/** Screens a window's submissions. */
export function screenSubmissions(
  o: WindowSubmissions & { overlapThreshold: number },
): { evaluated: ScreenedSubmission[]; refused: Refusal[] } {
  const refused: Refusal[] = [];
  const valid: ScreenedSubmission[] = [];
  for (const sub of [...o.submissions].sort((a, b) => a.uid - b.uid)) {
    const timing = submissionTiming(sub.block, o.window, o.rules);
    if (timing === "late") {
      refused.push({
        uid: sub.uid,
        status: "late",
        reason: `committed at block ${sub.block}, after the deadline`,
        slash: { rule: "late" },
      });
    } else if (timing === "early") {
      const reason = `its latest commitment (block ${sub.block}) is from before this window ended`;
      refused.push({ uid: sub.uid, status: "missing", reason, slash: { rule: "missing" } });
    } else if ("unavailable" in sub.file) {
      refused.push({ uid: sub.uid, status: "missing", reason: sub.file.unavailable, slash: { rule: "missing" } });
    } else {
      try {
        const submission = readSubmission(sub.file, o.layout, `uid ${sub.uid}'s pseudograd.safetensors`);
        checkSubmissionFor(submission.meta, { window: o.window, base: o.baseHash });
        valid.push({ uid: sub.uid, block: sub.block, submission, sha256: sub.sha256 });
      } catch (e) {
        if (!(e instanceof SubmissionRefused)) throw e;
        refused.push({
          uid: sub.uid,
          status: "invalid",
          reason: `${e.rule}: ${e.message}`,
          slash: { rule: "invalid" },
        });
      }
    }
  }
  for (const uid of o.expected ?? []) {
    if (!o.submissions.some((x) => x.uid === uid)) {
      refused.push({ uid, status: "missing", reason: "no submission", slash: { rule: "missing" } });
    }
  }
  const copies = findCopies(o.layout, valid, o.overlapThreshold);
  for (const c of copies.values()) {
    refused.push({
      uid: c.uid,
      status: "copy",
      reason: `${(100 * c.overlap).toFixed(1)}% of its positions are uid ${c.of}'s (${c.severity})`,
      slash: { rule: "copy", severity: c.severity },
      overlap: c.overlap,
    });
  }
  return { evaluated: valid.filter((v) => !copies.has(v.uid)), refused };
}
