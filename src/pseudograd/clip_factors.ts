/**
 * Each peer's clip factor per parameter for a window's evaluation (docs/pseudograd.md,
 * "Scoring a window"; Templar `neurons/validator.py`): the clip norm of a parameter is the lower
 * median of the peers' L2 norms of its decoded values, and a peer is scaled by
 * min(1, norm / (‖v‖ + 1e-8)), so a ×20 copy of an honest update counts as the honest one.
 */
import { lowerMedian, updateNorm } from "./aggregate.ts";
import { decodeParameter } from "./decode.ts";
import type { SubmissionLayout } from "./layout.ts";
import type { Submission } from "./submission.ts";

/** uid → parameter name → clip factor, over the peers given (at least one). */
export function peerClipFactors(
  layout: SubmissionLayout,
  peers: readonly { uid: number; submission: Submission }[],
): Map<number, Map<string, number>> {
  const out = new Map<number, Map<string, number>>(peers.map((p) => [p.uid, new Map()]));
  for (const p of layout.parameters) {
    const norms = peers.map((peer) => updateNorm(decodeParameter(p, peer.submission.parameters.get(p.name)!)));
    const median = lowerMedian(norms);
    peers.forEach((peer, i) => out.get(peer.uid)!.set(p.name, Math.min(1, median / (norms[i] + 1e-8))));
  }
  return out;
}
