/**
 * Copy detection (docs/pseudograd.md, "Copies"; Templar `neurons.py` `check_uid_index_overlap`):
 * for a pair of submissions, each parameter's overlap is the mean over its chunks of the share of
 * one peer's k positions that the other also kept; the pair's overlap is the average of those
 * over every parameter, weighted by its chunks · k. Two departures from Templar, both about
 * chunks that hold no evidence: a parameter whose chunks keep every position (k = totalk) is left
 * out, since any two peers share all of them; and so is a chunk in which either peer sent only
 * zeros, whose positions are the encoder's tie-break, the same for everyone (Templar's shapes
 * rarely meet either; small models meet both). A pair at or above the threshold (0.4) flags
 * the later commitment by inclusion block; a pair committed in the same block flags both (Templar
 * flags whichever comes first in pair order). The severity follows the overlap: below 0.5 "high",
 * from 0.5 "max", from 0.6 "mega".
 */
import { unpack12 } from "./pack12.ts";
import type { SubmissionLayout } from "./layout.ts";
import type { Submission, WireParameter } from "./submission.ts";

/** How far a copy went. */
export type CopySeverity = "high" | "max" | "mega";

/** Templar HEAD's threshold (`idx_overlap_threshold`). */
export const OVERLAP_THRESHOLD = 0.4;

/** A peer flagged as a copier: the worst pair it is in. */
export interface CopyFinding {
  uid: number;
  /** The peer it overlaps (the earlier commitment, or one in the same block). */
  of: number;
  overlap: number;
  severity: CopySeverity;
}

/** The severity of an overlap at or above the threshold. */
export function copySeverity(overlap: number): CopySeverity {
  if (!(overlap >= 0 && overlap <= 1)) throw new RangeError(`an overlap of ${overlap} is outside [0, 1]`);
  return overlap >= 0.6 ? "mega" : overlap >= 0.5 ? "max" : "high";
}

/** The size-weighted index overlap of two submissions of one layout, in [0, 1] (0 when no chunk holds evidence). */
export function indexOverlap(layout: SubmissionLayout, a: Submission, b: Submission): number {
  let weighted = 0, total = 0;
  for (const p of layout.parameters) {
    if (p.k === p.geometry.totalk) continue;
    const wa = a.parameters.get(p.name)!, wb = b.parameters.get(p.name)!;
    const ia = unpack12(wa.idxs, p.kept), ib = unpack12(wb.idxs, p.kept);
    const seen = new Uint32Array(p.geometry.totalk);
    let fractions = 0, chunks = 0;
    for (let c = 0; c < p.geometry.chunks; c++) {
      if (allZero(wa, c, p.k) || allZero(wb, c, p.k)) continue;
      for (let j = 0; j < p.k; j++) seen[ib[c * p.k + j]] = c + 1;
      let shared = 0;
      for (let j = 0; j < p.k; j++) if (seen[ia[c * p.k + j]] === c + 1) shared++;
      fractions += shared / p.k;
      chunks++;
    }
    if (chunks === 0) continue;
    weighted += (fractions / chunks) * chunks * p.k;
    total += chunks * p.k;
  }
  return total > 0 ? weighted / total : 0;
}

/** Whether every value a peer kept in chunk `c` decodes to exactly 0. */
function allZero(w: WireParameter, c: number, k: number): boolean {
  for (let j = 0; j < k; j++) if (w.lookup[w.codes[c * k + j]] + w.shift !== 0) return false;
  return true;
}

/** Every copier among `peers` (each with its commitment's inclusion block), by uid, with its worst pair. */
export function findCopies(
  layout: SubmissionLayout,
  peers: readonly { uid: number; block: number; submission: Submission }[],
  threshold = OVERLAP_THRESHOLD,
): Map<number, CopyFinding> {
  const found = new Map<number, CopyFinding>();
  const flag = (uid: number, of: number, overlap: number) => {
    const worst = found.get(uid);
    if (!worst || overlap > worst.overlap) found.set(uid, { uid, of, overlap, severity: copySeverity(overlap) });
  };
  for (let i = 0; i < peers.length; i++) {
    for (let j = i + 1; j < peers.length; j++) {
      const [a, b] = [peers[i], peers[j]];
      const overlap = indexOverlap(layout, a.submission, b.submission);
      if (overlap < threshold) continue;
      if (a.block >= b.block) flag(a.uid, b.uid, overlap);
      if (b.block >= a.block) flag(b.uid, a.uid, overlap);
    }
  }
  return found;
}
