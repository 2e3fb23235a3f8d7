/**
 * A miner's look before paying to commit: the validator's own scoring (`scoreModel`: every
 * check, the non-finite scan, the loss on the current step's pages with the same seed, tokenizer
 * and packing, the degenerate-output check) and the verdict against the current leader with
 * today's epsilon. A model the validator would reject is a failed preflight. In an adapter
 * competition the base is fetched and scored on the same pages as a validator does once per
 * step, and the verdict says how much the adapter improves on it and whether that clears the
 * base's epsilon.
 */
import type { Device } from "../eval/mod.ts";
import {
  barToBeat,
  baselineBar,
  type Competition,
  type DatasetsServerClient,
  epsilonAt,
  improvementOverBase,
  type ModelScore,
  type ModelStore,
  prepareCompetitionPages,
  prepareStepBase,
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
  /** In an adapter competition: the base's loss on the same pages, and the base's minus the adapter's. */
  baseLoss: number | null;
  improvement: number | null;
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
  /** In an adapter competition: where the base is fetched from, and cached. */
  base?: { store: ModelStore; cacheDir: string; log?: (line: string) => void };
  /** The block the competition's schedule entry began (the base's commit block; default 0). */
  entryStart?: number;
}

/** Runs the preflight of the model in `o.dir`. */
export async function preflight(o: PreflightOptions): Promise<PreflightResult> {
  const competition = o.competition;
  const { tokenizer, tasks } = await prepareCompetitionPages(competition, {
    client: o.client,
    seed: o.seed,
    block: o.block,
    cacheDir: o.cacheDir,
    resolveTokenizer: o.resolveTokenizer,
  });
  const settings = {
    device: o.device ?? "cpu",
    batchSize: o.batchSize ?? 4,
    timeCapMs: 24 * 3600_000,
    eosTokenId: tokenizer.eosTokenId,
    onProgress: o.onProgress,
  } as const;
  // In an adapter competition: the base, fetched and scored on these pages as a validator does once per step.
  let stepBase;
  if (competition.kind === "adapter") {
    if (!o.base) {
      throw new TypeError(
        `competition ${competition.id} takes adapters: the preflight needs the store holding its base`,
      );
    }
    stepBase = await prepareStepBase(
      { competition, tasks },
      { ...settings, ...o.base, log: o.base.log ?? (() => {}) },
      null,
    );
  }
  const score = await scoreModel(o.dir, { competition, tasks }, settings, { base: stepBase?.model });
  const baseLoss = stepBase?.baseline.loss ?? null;
  const improvement = improvementOverBase(baseLoss, score.loss);
  if (score.status !== "ok") {
    return {
      ...score,
      passes: false,
      wins: null,
      verdict: `a validator would reject it: ${score.reason}`,
      baseLoss,
      improvement,
    };
  }
  const loss = score.loss!;
  let overBase = "";
  if (baseLoss !== null) {
    const baseBar = baselineBar({ loss: baseLoss, block: o.entryStart ?? 0 }, competition.epsilon, o.block);
    const baseEpsilon = epsilonAt(competition.epsilon, o.block, o.entryStart ?? 0);
    if (!(loss < baseBar)) {
      return {
        ...score,
        passes: true,
        wins: false,
        baseLoss,
        improvement,
        verdict: `earns nothing: ${loss.toFixed(4)} does not beat the base's ${baseLoss.toFixed(4)} by its epsilon ${
          baseEpsilon.toFixed(5)
        } (needs below ${baseBar.toFixed(4)})`,
      };
    }
    overBase = `improves on the base by ${improvement!.toFixed(4)} (${(100 * improvement! / baseLoss).toFixed(2)}%); `;
  }
  if (!o.leaders?.length) {
    return {
      ...score,
      passes: true,
      wins: null,
      verdict: `${overBase}passes; no leader to compare with`,
      baseLoss,
      improvement,
    };
  }
  const bar = barToBeat(
    o.leaders.map((l) => ({ uid: l.uid, block: l.block, loss: l.loss })),
    competition.epsilon,
    o.block,
  );
  // The verdict names the model that sets the bar, with its own epsilon.
  const setter = bar.setBy ?? [...o.leaders].sort((a, b) => a.loss - b.loss)[0];
  const toBeat = bar.loss;
  const wins = loss < toBeat;
  const verdict = wins
    ? `wins: ${loss.toFixed(4)} < ${toBeat.toFixed(4)} (the leader uid ${setter.uid} scores ${
      setter.loss.toFixed(4)
    } with epsilon ${bar.epsilon.toFixed(5)} today)`
    : `loses: ${loss.toFixed(4)} ≥ ${toBeat.toFixed(4)}, the loss to beat today (leader uid ${setter.uid}: ${
      setter.loss.toFixed(4)
    }, epsilon ${bar.epsilon.toFixed(5)})`;
  return { ...score, passes: true, wins, verdict: overBase + verdict, baseLoss, improvement };
}
