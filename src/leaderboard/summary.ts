/**
 * A competition's story in one line for the leaderboard's header: who wins the latest step, by how
 * much over the next best loss, the loss a model committed now must get under (and whose epsilon
 * sets it), and whether the competition's latest step failed after its last completed one.
 */
import type { Competition } from "../competitions/mod.ts";
import { barToBeat } from "../scoring/mod.ts";
import type { Leaderboard } from "./queries.ts";

/** The header of one competition. */
export interface CompetitionSummary {
  /** With what the chain's last epoch paid it (null when the validator has not read it yet). */
  winner: {
    uid: number;
    repo: string;
    loss: number | null;
    weight: number;
    incentive: number | null;
    emission: number | null;
  } | null;
  /** The block of the metagraph the incentive and emission come from. */
  onChainBlock: number | null;
  /** The next best loss minus the winner's (negative when the winner holds on by its epsilon); null without two losses. */
  margin: number | null;
  /** What a newcomer must get under at the step's block, and the model whose discounted loss it is. */
  bar: { loss: number; uid: number; epsilon: number } | null;
  /** A step of this competition that failed after its last completed one. */
  failed: { stepId: number; block: number; reason: string | null } | null;
  /** A pseudo-gradient competition's global model: its held-out loss before window 0, then after each window. */
  heldOut: { window: number; loss: number }[] | null;
}

/** The summary of `board` under `competition`'s rules (null when the schedule no longer has it), with recent failed steps. */
export function competitionSummary(
  board: Leaderboard,
  { competition, failedSteps, windows }: {
    competition: Competition | undefined;
    failedSteps: readonly { stepId: number; block: number; competitionId: number; reason: string | null }[];
    /** The competition's evaluated windows, when it is a pseudo-gradient one. */
    windows?: readonly { window: number; heldOutBefore: number | null; heldOutAfter: number | null }[];
  },
): CompetitionSummary {
  const scored = board.rows.filter((r) => r.loss !== null && Number.isFinite(r.loss));
  const top = board.rows[0];
  const winner = top && (top.weight ?? 0) > 0
    ? {
      uid: top.uid,
      repo: top.repo,
      loss: top.loss,
      weight: top.weight!,
      incentive: top.incentive,
      emission: top.emission,
    }
    : null;
  const others = winner ? scored.filter((r) => r.uid !== winner.uid).map((r) => r.loss!) : [];
  // A pseudo-gradient peer's loss is on its own data: losses are not compared across peers.
  const margin = competition?.kind !== "pseudograd" && winner?.loss != null && others.length > 0
    ? Math.min(...others) - winner.loss
    : null;
  let bar: CompetitionSummary["bar"] = null;
  // A pseudo-gradient competition has no bar to get under: each window is scored on its own.
  if (competition && competition.kind !== "pseudograd" && board.step && scored.length > 0) {
    const b = barToBeat(
      scored.map((r) => ({ uid: r.uid, block: r.commitBlock, loss: r.loss! })),
      competition.epsilon,
      board.step.block,
    );
    if (b.setBy) bar = { loss: b.loss, uid: b.setBy.uid, epsilon: b.epsilon };
  }
  const lastDone = board.step?.id ?? 0;
  const failed = failedSteps
    .filter((f) => f.competitionId === board.competitionId && f.stepId > lastDone)
    .sort((a, b) => b.stepId - a.stepId)[0];
  return {
    winner,
    onChainBlock: board.onChainBlock,
    margin,
    bar,
    failed: failed ? { stepId: failed.stepId, block: failed.block, reason: failed.reason } : null,
    heldOut: windows?.length
      ? [
        ...(windows[0].heldOutBefore === null ? [] : [{ window: -1, loss: windows[0].heldOutBefore }]),
        ...windows.filter((w) => w.heldOutAfter !== null).map((w) => ({ window: w.window, loss: w.heldOutAfter! })),
      ]
      : null,
  };
}
