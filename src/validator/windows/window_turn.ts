/**
 * A pseudo-gradient competition's turn: the oldest window whose deadline has passed and that this
 * validator has not evaluated, on the global checkpoint the previous windows made (the pinned base
 * for window 0). Its submissions (window_files.ts) and data (window_data.ts) come from the chain,
 * the store and the datasets-server; src/pseudograd's `evaluateWindow` screens, measures, rates,
 * slashes and aggregates; the window is then written as one step (one row per peer, with g, b, B,
 * μ, σ, ordinal, clip and overlap in its explanation) together with the standing and the next
 * checkpoint, and the competition's weights are the peers' window weights. A window cut short (a
 * kill, a failed fetch) left nothing but a running step, which the next turn marks failed and
 * evaluates again from the start: the same inputs give the same checkpoint.
 */
import { join } from "node:path";
import { checkModel } from "../../../eval/mod.ts";
import type { Metagraph } from "../../chain/mod.ts";
import type { PseudogradCompetition } from "../../competitions/mod.ts";
import { toHex } from "../../data/mod.ts";
import { downloadMeter, fetchModel } from "../../hub/mod.ts";
import {
  evaluateWindow,
  layoutOf,
  type MeasureInputs,
  ordinal,
  TEMPLAR_WINDOW_EVAL,
  type WindowOutcome,
  windowSpan,
  windowWeights,
} from "../../pseudograd/mod.ts";
import { subnetWeights } from "../../scoring/mod.ts";
import type { ValidatorContext } from "../context.ts";
import { competitionLimits } from "../score_model.ts";
import type { EvalOutcome, EvalRecord } from "../state.ts";
import type { StepSummary } from "../step.ts";
import type { Turn } from "../turn.ts";
import { sendWeights } from "../weights_sender.ts";
import { windowData } from "./window_data.ts";
import { type FetchedSubmission, windowSubmissions } from "./window_files.ts";
import { pruneOldCheckpoints, publishLatestCheckpoint } from "./window_publish.ts";
import type { CheckpointRef } from "./window_workers.ts";

/** Evaluates the competition's next due window, or returns null when none is due. */
export async function runWindowTurn(
  ctx: ValidatorContext,
  turn: Turn,
  competition: PseudogradCompetition,
): Promise<StepSummary | null> {
  const rules = competition.pseudograd;
  if (turn.step) {
    // A window that did not finish is evaluated again from the start.
    ctx.state.failStep({
      stepId: turn.step.id,
      block: turn.step.block,
      competitionId: competition.id,
      seed: turn.step.seed,
      reason: "interrupted; the window is evaluated again",
      nowMs: turn.now(),
    });
  }
  // A checkpoint a store failed to take last turn is offered again first.
  await publishLatestCheckpoint(ctx, competition);
  const latest = ctx.state.windows.latest(competition.id);
  const w = latest ? latest.window + 1 : 0;
  const span = windowSpan(w, rules);
  if (turn.block <= span.deadline) {
    ctx.log(
      `block ${turn.block}: competition ${competition.id} (${competition.name}): window ${w} closes at block ${span.deadline}`,
    );
    ctx.state.setNextCompetitionIndex(turn.index + 1);
    return null;
  }
  const global = await globalCheckpoint(ctx, competition);
  const model = await checkModel(global.dir, { limits: competitionLimits(competition), label: `window ${w}'s global` });
  const layout = layoutOf(model, rules.codec);
  ctx.log(
    `window ${w} of competition ${competition.id}: global ${global.hash.slice(0, 12)}…, deadline ${span.deadline}`,
  );

  const submissions = await windowSubmissions(competition, {
    chain: ctx.chain,
    netuid: ctx.netuid,
    store: ctx.store,
    metagraph: turn.metagraph,
    window: w,
    head: turn.block,
    cacheDir: ctx.modelCacheDir,
  });
  const standing = ctx.state.windows.standing(competition.id);
  const data = await windowData(competition, {
    client: ctx.datasets,
    cacheDir: ctx.cacheDir,
    resolveTokenizer: ctx.resolveTokenizer,
    window: w,
    uids: submissions.map((s) => s.uid),
    startBlockHash: await ctx.chain.blockHash(span.start),
    deadlineBlockHash: await ctx.chain.blockHash(span.deadline),
  });
  // The gather set that was expected to submit: the best by final before the window.
  const expected = [...standing].filter(([, s]) => s.final > 0).sort((a, b) => b[1].final - a[1].final || a[0] - b[0])
    .slice(0, rules.gather).map(([uid]) => uid);
  const workDir = join(ctx.cacheDir, "pseudograd", `competition-${competition.id}`, `window-${w}`);
  await Deno.remove(workDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(workDir, { recursive: true });
  // On the queue's workers when there are some and they can fetch the global checkpoint. Each turn's
  // jobs are its own (the key ends in a nonce): a part that failed in an earlier turn, a store's
  // outage, must be measured again, not answered from the results stream.
  let measure;
  if (ctx.windowWorkers && global.ref) {
    const workers = ctx.windowWorkers, ref = global.ref;
    const where = new Map(submissions.map((s) => [s.uid, { repo: s.repo, revision: s.revision, sha256: s.sha256 }]));
    const nonce = toHex(crypto.getRandomValues(new Uint8Array(4)));
    measure = (inputs: MeasureInputs) =>
      workers.measure({
        stepKey: `${ctx.hotkey.address.slice(0, 12)}-c${competition.id}-w${w}-${seedOf(data).slice(0, 16)}-${nonce}`,
        competitionId: competition.id,
        window: w,
        global: ref,
        codec: rules.codec,
        submissions: where,
        log: (line) => ctx.log(`    ${line}`),
        signal: ctx.signal,
      }, inputs);
  } else if (ctx.windowWorkers) {
    ctx.log(
      `  window ${w}: its global checkpoint is not published, so the queue's workers cannot fetch it; ` +
        `it is evaluated in this process (validate --publish-checkpoints publishes it)`,
    );
  }
  const outcome = await evaluateWindow(model, {
    window: w,
    rules,
    layout,
    baseHash: global.hash,
    submissions,
    expected,
    data,
    standing,
    settings: {
      ...TEMPLAR_WINDOW_EVAL,
      // In this process, on the validator's first lane (a window's peers are measured one after another).
      ...(ctx.lanes?.[0] ?? { device: ctx.device }),
      eta: rules.eta,
      outerLr: rules.outerLr,
      gatherCount: rules.gather,
      overlapThreshold: rules.overlapThreshold,
    },
    workDir,
    log: (line) => ctx.log(`    ${line}`),
    measure,
  });
  const nextHash = outcome.next?.manifest.result ?? null;

  // One step per window: its rows, the competition's weights, the standing and the checkpoint chain.
  const weights = windowWeights(outcome.standing, w);
  const ema = { ...ctx.state.ema(), [competition.id]: Object.fromEntries(weights) };
  const seed = seedOf(data);
  const manifest = { ...data.manifest, globalHash: global.hash, nextHash, codec: rules.codec };
  const stepId = ctx.state.startStep(span.deadline, competition.id, seed, manifest, turn.now());
  const rows = peerRows(competition, { stepId, outcome, submissions, weights, metagraph: turn.metagraph });
  for (const r of rows) ctx.state.recordEval(r.record);
  ctx.state.finishStep(stepId, rows.map((r) => r.outcome), ema, turn.now(), () => {
    ctx.state.windows.record({
      competitionId: competition.id,
      window: w,
      stepId,
      globalHash: global.hash,
      nextDir: outcome.next?.dir ?? null,
      nextHash,
      heldOutBefore: outcome.heldOutBefore ?? null,
      heldOutAfter: outcome.next?.heldOutLoss ?? null,
    }, outcome.standing);
    ctx.state.setNextCompetitionIndex(turn.index + 1);
    ctx.state.setFailedTurns(competition.id, 0);
  });
  ctx.log(
    `window ${w}: ${
      outcome.peers.filter((p) => p.status === "scored").length
    } of ${outcome.peers.length} peers scored; ` +
      (outcome.next
        ? `next global ${nextHash!.slice(0, 12)}…, held-out loss ${fmt(outcome.heldOutBefore)} → ${
          fmt(outcome.next.heldOutLoss)
        }`
        : "nothing gathered: the global model stays"),
  );
  const published = await publishLatestCheckpoint(ctx, competition);
  await pruneOldCheckpoints(ctx, competition);

  const shares = new Map(turn.entry.competitions.map((c) => [c.id, c.rewardShare]));
  const subnet = subnetWeights(ema, shares);
  const weightsResult = ctx.setWeights
    ? await sendWeights(ctx, subnet, turn.metagraph)
    : "not sent (--dont-set-weights)";
  await ctx.telemetry.log({
    kind: "window",
    step: stepId,
    window: w,
    block: span.deadline,
    competition: competition.id,
    peers: outcome.peers.map((p) => ({
      uid: p.uid,
      status: p.status,
      reason: p.reason,
      g: p.g ?? null,
      b: p.b ?? null,
      B: p.standing.binary,
      mu: p.standing.mu,
      sigma: p.standing.sigma,
      ordinal: ordinal(p.standing),
      final: p.standing.final,
      clip: p.clip ?? null,
      overlap: p.overlap ?? null,
      weight: weights.get(p.uid) ?? 0,
    })),
    randomBefore: outcome.randomBefore,
    heldOutBefore: outcome.heldOutBefore ?? null,
    heldOutAfter: outcome.next?.heldOutLoss ?? null,
    globalHash: global.hash,
    nextHash,
    published: published && `${published.repo}@${published.revision}`,
    subnetWeights: Object.fromEntries(subnet),
    weightsResult,
  });
  return {
    stepId,
    block: span.deadline,
    competition,
    results: rows.map((r) => r.record),
    weights: subnet,
    weightsResult,
  };
}

/** The window's seed: its deadline block's hash, hex. */
function seedOf(data: { manifest: { deadlineBlockHash: string } }): string {
  return data.manifest.deadlineBlockHash.replace(/^0x/, "");
}

/**
 * The global checkpoint the next window is judged on: the latest one a window made, or the pinned
 * base; with where others can fetch it, when they can (the base, or a published checkpoint).
 */
async function globalCheckpoint(
  ctx: ValidatorContext,
  competition: PseudogradCompetition,
): Promise<{ dir: string; hash: string; ref?: CheckpointRef }> {
  const made = ctx.state.windows.latestCheckpoint(competition.id);
  if (made) {
    try {
      await Deno.stat(made.nextDir!);
    } catch {
      throw new Error(
        `window ${made.window}'s checkpoint is gone from ${made.nextDir}; the windows after it cannot be judged without it`,
      );
    }
    const ref = made.published && { ...made.published, hash: made.nextHash! };
    return { dir: made.nextDir!, hash: made.nextHash!, ref: ref || undefined };
  }
  const { repo, revision, hash } = competition.pseudograd.base;
  const fetched = await fetchModel(ctx.store, repo, revision, {
    cacheDir: ctx.modelCacheDir,
    limits: competitionLimits(competition),
    expect: { hash },
    onProgress: downloadMeter({ emit: ctx.log, prefix: `    base ${repo}: `, intervalMs: 10_000 }),
  });
  return { dir: fetched.dir, hash, ref: { repo, revision, hash } };
}

/** Each peer's row in the window's step, and the scores `finishStep` writes on it. */
function peerRows(
  competition: PseudogradCompetition,
  o: {
    stepId: number;
    outcome: WindowOutcome;
    submissions: readonly FetchedSubmission[];
    weights: ReadonlyMap<number, number>;
    metagraph: Metagraph;
  },
): { record: EvalRecord; outcome: EvalOutcome }[] {
  const hotkeyOf = new Map(o.metagraph.neurons.map((n) => [n.uid, n.hotkey]));
  return o.outcome.peers.map((p) => {
    const sub = o.submissions.find((s) => s.uid === p.uid);
    const hotkey = sub?.hotkey ?? hotkeyOf.get(p.uid) ?? `uid ${p.uid}`;
    const s = p.standing;
    const scored = p.status === "scored";
    const numbers = [
      p.g !== undefined ? `g ${p.g.toExponential(3)}` : "",
      p.b !== undefined ? `b ${p.b > 0 ? "+1" : "−1"}` : "",
      `B ${s.binary.toFixed(4)}`,
      `μ ${s.mu.toFixed(3)}`,
      `σ ${s.sigma.toFixed(3)}`,
      `ordinal ${ordinal(s).toFixed(3)}`,
      `final ${s.final.toFixed(4)}`,
      p.clip !== undefined ? `clip ${p.clip.toFixed(4)}` : "",
      p.overlap !== undefined ? `overlap ${(100 * p.overlap).toFixed(1)}%` : "",
    ].filter(Boolean).join(", ");
    const weight = o.weights.get(p.uid) ?? 0;
    return {
      record: {
        stepId: o.stepId,
        hotkey,
        uid: p.uid,
        competitionId: competition.id,
        repo: sub?.repo ?? "",
        revision: sub?.revision ?? "",
        commitBlock: sub?.block ?? 0,
        loss: scored ? p.ownAfter! : null,
        taskLosses:
          (scored ? { own_before: p.ownBefore!, own_after: p.ownAfter!, random_after: p.randomAfter! } : {}) as Record<
            string,
            number
          >,
        status: scored ? "ok" : "rejected",
        reason: scored ? null : `${p.status}: ${p.reason}`,
        loadMs: null,
        computeMs: null,
      },
      outcome: {
        hotkey,
        winRate: 0,
        wins: 0,
        epsilon: 0,
        weight,
        excluded: scored ? null : p.status,
        explanation: `${numbers}: weight ${weight.toFixed(4)}`,
      },
    };
  });
}

function fmt(x: number | undefined): string {
  return x === undefined ? "—" : x.toFixed(4);
}
