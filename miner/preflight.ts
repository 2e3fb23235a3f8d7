/**
 * A miner's look before paying to commit: the validator's own scoring (`scoreModel`: every
 * check, the non-finite scan, the loss on the current step's pages with the same seed, tokenizer
 * and packing, the degenerate-output check) and the verdict against the current leader with
 * today's epsilon. A model the validator would reject is a failed preflight.
 */
import type { Device } from "../eval/mod.ts";
import {
  type Competition,
  type DatasetsServerClient,
  epsilonAt,
  loadTokenizer,
  lossToBeat,
  type ModelScore,
  prepareEvalData,
  scoreModel,
  type ScoreProgress,
} from "../src/mod.ts";

/** The leader to beat: its loss on the same pages and its commit block. */
export interface Leader {
  uid: number;
  loss: number;
  block: number;
}

/** What the preflight found. */
export interface PreflightResult extends ModelScore {
  /** Would a validator score it (status ok)? */
  passes: boolean;
  /** Against the leader, when one was given: would it win? */
  wins: boolean | null;
  verdict: string;
}

/** Options for `preflight`. */
export interface PreflightOptions {
  dir: string;
  competition: Competition;
  client: DatasetsServerClient;
  seed: Uint8Array;
  block: number;
  cacheDir: string;
  resolveTokenizer?: (repo: string) => Promise<string>;
  leaders?: Leader[];
  batchSize?: number;
  device?: Device;
  onProgress?: (p: ScoreProgress) => void;
}

/** Runs the preflight of the model in `o.dir`. */
export async function preflight(o: PreflightOptions): Promise<PreflightResult> {
  const c = o.competition;
  const tokenizer = await loadTokenizer(c.tokenizer, { cacheDir: o.cacheDir, resolveRepo: o.resolveTokenizer });
  const { tasks } = await prepareEvalData({
    client: o.client,
    tokenizer,
    tasks: c.tasks,
    sequenceLength: c.sequenceLength,
    seed: o.seed,
    block: o.block,
  });
  const score = await scoreModel(o.dir, c, tasks, {
    device: o.device ?? "cpu",
    batchSize: o.batchSize ?? 4,
    timeCapMs: 24 * 3600_000,
    eosTokenId: tokenizer.eosTokenId,
    onProgress: o.onProgress,
  });
  if (score.status !== "ok") {
    return { ...score, passes: false, wins: null, verdict: `a validator would reject it: ${score.reason}` };
  }
  if (!o.leaders?.length) return { ...score, passes: true, wins: null, verdict: "passes; no leader to compare with" };
  const loss = score.loss!;
  const target = lossToBeat(o.leaders.map((l) => ({ uid: l.uid, block: l.block, loss: l.loss })), c.epsilon, o.block);
  const best = [...o.leaders].sort((a, b) => a.loss - b.loss)[0];
  const eps = epsilonAt(c.epsilon, o.block, best.block);
  const wins = loss < target;
  const verdict = wins
    ? `wins: ${loss.toFixed(4)} < ${target.toFixed(4)} (the leader uid ${best.uid} scores ${
      best.loss.toFixed(4)
    } with epsilon ${eps.toFixed(5)} today)`
    : `loses: ${loss.toFixed(4)} ≥ ${target.toFixed(4)}, the loss to beat today (leader uid ${best.uid}: ${
      best.loss.toFixed(4)
    }, epsilon ${eps.toFixed(5)})`;
  return { ...score, passes: true, wins, verdict };
}
