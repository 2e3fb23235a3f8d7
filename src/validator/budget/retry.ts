/**
 * Whether a model that lost is worth evaluating again (SN9's `should_retry_model`,
 * macrocosm-os/pretraining `pretrain/models/retry.py`): a model with no history; one whose last
 * good loss beat the winner's but not by the winner's epsilon, once that epsilon has decayed
 * enough for it to win now; or one that only ever failed, for a bounded number of attempts.
 */
import { epsilonAt, type EpsilonDecay } from "../../scoring/mod.ts";

/** One evaluation of a model as the retry rule remembers it. */
export interface EvalHistoryEntry {
  /** The step's block. */
  block: number;
  /** The model's loss; Infinity when it failed. */
  score: number;
  /** The step winner's commit block and loss. */
  winningBlock: number;
  winningScore: number;
}

/** The retry rule's verdict: whether to evaluate again, and why, in words. */
export interface RetryVerdict {
  retry: boolean;
  why: string;
}

/** When and under which rules the retry rule is asked. */
export interface RetryRules {
  /** The competition's epsilon decay. */
  decay: EpsilonDecay;
  /** The block asked at. */
  block: number;
  /** Attempts a model that only ever failed gets. */
  maxFailedAttempts: number;
}

/** Applies the retry rule to a model's history (oldest first). */
export function shouldRetry(
  history: readonly EvalHistoryEntry[],
  { decay, block: current, maxFailedAttempts }: RetryRules,
): RetryVerdict {
  if (history.length === 0) return { retry: true, why: "never evaluated" };
  const lastGood = history.findLast((h) => Number.isFinite(h.score));
  if (lastGood) {
    const { score, winningScore, winningBlock, block } = lastGood;
    if (score > winningScore) {
      return {
        retry: false,
        why: `lost at block ${block}: loss ${fmt(score)} against the winner's ${fmt(winningScore)}`,
      };
    }
    const epsilon = epsilonAt(decay, current, winningBlock);
    const bar = winningScore * (1 - epsilon);
    return score < bar
      ? {
        retry: true,
        why: `retried: its loss ${fmt(score)} now beats the winner's ${fmt(winningScore)} less its epsilon ${
          epsilon.toFixed(5)
        } (${fmt(bar)})`,
      }
      : {
        retry: false,
        why: `its loss ${fmt(score)} does not yet beat the winner's ${fmt(winningScore)} less its epsilon ${
          epsilon.toFixed(5)
        } (${fmt(bar)})`,
      };
  }
  const n = history.length;
  return n < maxFailedAttempts
    ? { retry: true, why: `retried: failed ${attempts(n)}, fewer than ${maxFailedAttempts}` }
    : { retry: false, why: `given up after ${attempts(n)} that failed; a new commitment starts it afresh` };
}

function attempts(n: number): string {
  return n === 1 ? "1 attempt" : `${n} attempts`;
}

function fmt(x: number): string {
  return x.toFixed(4);
}
