/**
 * A miner's look before paying to commit: the competition's checks on a local model, its loss on
 * the current step's pages (the same seed, pages, tokenizer and packing a validator uses), the
 * degenerate-output check, and the verdict against the current leader with today's epsilon.
 */
import {
  checkModel,
  createLossSession,
  evaluateLosses,
  GENERATED_TOKENS,
  PROMPT_TOKENS,
  sanityCheck,
} from "../eval/mod.ts";
import {
  type Competition,
  type DatasetsServerClient,
  epsilonAt,
  loadTokenizer,
  lossToBeat,
  prepareEvalData,
} from "../src/mod.ts";

/** The leader to beat: its loss on the same pages and its commit block. */
export interface Leader {
  uid: number;
  loss: number;
  block: number;
}

/** What the preflight found. */
export interface PreflightResult {
  parameters: number;
  architecture: string;
  taskLosses: Record<string, number>;
  loss: number;
  sanity: { ok: boolean; reason?: string };
  verdict: string;
}

/** Runs the preflight of the model in `dir`. */
export async function preflight(o: {
  dir: string;
  competition: Competition;
  client: DatasetsServerClient;
  seed: Uint8Array;
  block: number;
  cacheDir: string;
  leaders?: Leader[];
  batchSize?: number;
}): Promise<PreflightResult> {
  const c = o.competition;
  const model = await checkModel(o.dir, {
    limits: {
      minParameters: c.minParameters,
      maxParameters: c.maxParameters,
      maxBytes: c.maxBytes,
      architectures: c.architectures,
    },
  });
  const tokenizer = await loadTokenizer(c.tokenizer, { cacheDir: o.cacheDir });
  const { tasks } = await prepareEvalData({
    client: o.client,
    tokenizer,
    tasks: c.tasks,
    sequenceLength: c.sequenceLength,
    seed: o.seed,
    block: o.block,
  });
  const maxLength = Math.max(c.sequenceLength, Math.min(model.spec.maxPositions, PROMPT_TOKENS + GENERATED_TOKENS));
  const session = await createLossSession(model, { maxSequenceLength: maxLength });
  try {
    const taskLosses: Record<string, number> = {};
    for (const t of tasks) {
      const losses = await evaluateLosses(session, t.sequences, { batchSize: o.batchSize ?? 4 });
      taskLosses[t.task.id] = losses.reduce((a, b) => a + b, 0) / Math.max(1, losses.length);
    }
    const loss = tasks.reduce((s, t) => s + t.task.weight * taskLosses[t.task.id], 0);
    const first = tasks.find((t) => t.sequences.length >= 2)!;
    const sanity = await sanityCheck(session, first.sequences[0], first.sequences[1], tokenizer.eosTokenId, maxLength);
    let verdict = "no leader to compare with";
    if (!sanity.ok) verdict = `a validator would reject it: degenerate output (${sanity.reason})`;
    else if (o.leaders?.length) {
      const target = lossToBeat(
        o.leaders.map((l) => ({ uid: l.uid, block: l.block, loss: l.loss })),
        c.epsilon,
        o.block,
      );
      const best = [...o.leaders].sort((a, b) => a.loss - b.loss)[0];
      const eps = epsilonAt(c.epsilon, o.block, best.block);
      verdict = loss < target
        ? `wins: ${loss.toFixed(4)} < ${target.toFixed(4)} (the leader uid ${best.uid} scores ${
          best.loss.toFixed(4)
        } with epsilon ${eps.toFixed(5)} today)`
        : `loses: ${loss.toFixed(4)} ≥ ${target.toFixed(4)}, the loss to beat today (leader uid ${best.uid}: ${
          best.loss.toFixed(4)
        }, epsilon ${eps.toFixed(5)})`;
    }
    return {
      parameters: model.parameterCount,
      architecture: model.spec.architecture,
      taskLosses,
      loss,
      sanity,
      verdict,
    };
  } finally {
    await session.release();
  }
}
