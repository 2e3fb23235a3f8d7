/**
 * Getting the validator's weights on chain, the one place that knows the chain's weights rules
 * and remembers what is pending. Each call looks at the subnet's hyperparameters and does what
 * the chain allows now, never waiting:
 *
 *   commit-reveal off:  set_weights once the rate limit allows (LastUpdate + rate limit, or
 *                       LastUpdate 0), as subtensor's `check_rate_limit` counts it.
 *   version 2 (hash):   none → committing → committed → (reveal in the commit's reveal epoch) → none.
 *                       The reveal epoch counts from the block that included the commit. A commit
 *                       whose window passed (the validator was down, a step ran long) is dropped
 *                       and a new one made; the chain drops it too on the next commit.
 *   version ≥ 3 (timelocked): the weights are encrypted to the drand round of the reveal epoch
 *                       (bittensor-drand's rule) and committed; the chain reveals them itself.
 *
 * The state is persisted before every submission (`committing`, with the salt), so a kill -9 at
 * any point is reconciled on restart against the chain's own list of commits: the commit either
 * landed (and is revealed in its window) or did not (and is made again), never twice, never stuck.
 * Weights are shaped to the subnet's rules first (process_weights.ts), so the chain never refuses
 * them for shape.
 */
import type { KeyringPair } from "@polkadot/keyring/types";
import { u8aToHex } from "@polkadot/util";
import {
  type Chain,
  ChainRejected,
  commitHash,
  encodeWeightsPayload,
  epochIndex,
  type Metagraph,
  revealEpochOf,
  type RevealPayload,
  revealRound,
  roundIdentity,
  type SubnetHyperparameters,
  timelockEncrypt,
  weightsRateLimited,
} from "../chain/mod.ts";
import { processWeights, toU16Weights, type U16Weights } from "../scoring/mod.ts";
import type { ValidatorState } from "./state.ts";
import type { WeightsIntent, WeightsPending } from "./weights_pending.ts";

/** Who sends, where, and how to record it. */
export interface WeightsSenderContext {
  chain: Chain;
  state: ValidatorState;
  netuid: number;
  hotkey: KeyringPair;
  log: (line: string) => void;
}

/** Shapes `weights` to the subnet's rules and does what the chain allows now; returns what happened. */
export async function sendWeights(
  ctx: WeightsSenderContext,
  weights: ReadonlyMap<number, number>,
  metagraph: Metagraph,
): Promise<string> {
  const me = metagraph.neurons.find((n) => n.hotkey === ctx.hotkey.address);
  if (!me) return "not registered";
  const p = await ctx.chain.hyperparameters(ctx.netuid);
  const block = await ctx.chain.currentBlock();
  const shaped = shape(weights, metagraph, p);
  let pending = await reconcile(ctx, p);
  const notes: string[] = [];
  const rateLimited = weightsRateLimited(me.lastUpdate, block, p.weightsRateLimit);
  const wait = () => `waiting for the rate limit (next at block ${me.lastUpdate + p.weightsRateLimit})`;

  if (!p.commitRevealEnabled) {
    if (pending.kind !== "none") {
      notes.push(`commit-reveal was switched off: the pending ${pending.kind} commit is dropped`);
      pending = save(ctx, { kind: "none" });
    }
    if (shaped.uids.length === 0) return joined(notes, "no weights yet");
    if (rateLimited) return joined(notes, wait());
    return joined(
      notes,
      await submit(
        ctx,
        "set",
        shaped,
        () =>
          ctx.chain.setWeights(ctx.hotkey, {
            netuid: ctx.netuid,
            uids: shaped.uids,
            weights: shaped.weights,
            versionKey: p.weightsVersionKey,
          }),
      ),
    );
  }

  if (p.commitRevealVersion >= 3) {
    if (pending.kind !== "none" && pending.kind !== "timelocked") {
      notes.push("the subnet moved to timelocked commit-reveal: the pending hash commit is dropped");
      pending = save(ctx, { kind: "none" });
    }
    if (shaped.uids.length === 0) return joined(notes, "no weights yet");
    if (rateLimited) return joined(notes, wait());
    return joined(notes, await commitTimelocked(ctx, p, shaped, block));
  }

  // Commit-reveal v2.
  if (pending.kind === "timelocked") pending = save(ctx, { kind: "none" });
  const epoch = epochIndex(block, ctx.netuid, p.tempo);
  if (pending.kind === "committed") {
    if (epoch < pending.revealEpoch) {
      return `commit from block ${pending.commitBlock} awaits its reveal epoch ${pending.revealEpoch} (now ${epoch})`;
    }
    if (epoch > pending.revealEpoch) {
      notes.push(
        `missed the reveal window of the commit from block ${pending.commitBlock} (epoch ${pending.revealEpoch}, now ${epoch}): committing again`,
      );
      ctx.state.recordWeightsSet(
        pending.commitBlock,
        pending.uids,
        pending.values,
        `expired: reveal epoch ${pending.revealEpoch} passed`,
      );
      pending = save(ctx, { kind: "none" });
    } else {
      const c = pending;
      try {
        const { block: at } = await ctx.chain.revealWeights(ctx.hotkey, revealPayload(ctx.netuid, c));
        ctx.state.recordWeightsSet(at, c.uids, c.values, "revealed");
        notes.push(`revealed at block ${at} the weights committed at block ${c.commitBlock}`);
      } catch (e) {
        if (!(e instanceof ChainRejected)) return joined(notes, `reveal failed, will retry: ${(e as Error).message}`);
        if (e.error === "RevealTooEarly") return joined(notes, `reveal refused as early (${e.message}); will retry`);
        notes.push(`the reveal was refused (${e.error}): committing again`);
        ctx.state.recordWeightsSet(block, c.uids, c.values, `failed: ${e.message}`);
      }
      pending = save(ctx, { kind: "none" });
    }
  }
  if (shaped.uids.length === 0) return joined(notes, "no weights yet");
  if (rateLimited) return joined(notes, wait());
  return joined(notes, await commitHashed(ctx, p, shaped, block));
}

/** The pending state, with an interrupted v2 commit settled against the chain's own list. */
async function reconcile(ctx: WeightsSenderContext, p: SubnetHyperparameters): Promise<WeightsPending> {
  const pending = ctx.state.weightsPending();
  if (pending.kind !== "committing") return pending;
  const onChain = (await ctx.chain.weightCommits(ctx.netuid, ctx.hotkey.address)).find((c) => c.hash === pending.hash);
  if (!onChain) {
    ctx.log(`the weights commit begun at block ${pending.startedBlock} never reached the chain; it will be made again`);
    return save(ctx, { kind: "none" });
  }
  const { kind: _, startedBlock: __, ...rest } = pending;
  const revealEpoch = revealEpochOf(onChain.block, ctx.netuid, p);
  ctx.log(
    `the weights commit begun at block ${pending.startedBlock} landed in block ${onChain.block}; reveal in epoch ${revealEpoch}`,
  );
  return save(ctx, { ...rest, kind: "committed", commitBlock: onChain.block, revealEpoch });
}

async function commitHashed(
  ctx: WeightsSenderContext,
  p: SubnetHyperparameters,
  w: U16Weights,
  block: number,
): Promise<string> {
  const salt = Array.from(crypto.getRandomValues(new Uint16Array(8)));
  const intent: WeightsIntent = { uids: w.uids, values: w.weights, salt, versionKey: p.weightsVersionKey };
  const hash = u8aToHex(commitHash(ctx.hotkey.address, revealPayload(ctx.netuid, intent)));
  save(ctx, { kind: "committing", netuid: ctx.netuid, hash, startedBlock: block, ...intent });
  try {
    const { block: at } = await ctx.chain.commitWeights(ctx.hotkey, { netuid: ctx.netuid, hash: hashBytes(hash) });
    const revealEpoch = revealEpochOf(at, ctx.netuid, p);
    save(ctx, { kind: "committed", netuid: ctx.netuid, hash, commitBlock: at, revealEpoch, ...intent });
    ctx.state.recordWeightsSet(at, w.uids, w.weights, `committed: reveal in epoch ${revealEpoch}`);
    return `committed at block ${at}, reveal in epoch ${revealEpoch}`;
  } catch (e) {
    if (!(e instanceof ChainRejected)) {
      return `commit outcome unknown (${(e as Error).message}); the chain is asked before the next try`;
    }
    save(ctx, { kind: "none" });
    ctx.state.recordWeightsSet(block, w.uids, w.weights, `failed: ${e.message}`);
    return `failed: ${e.message}`;
  }
}

async function commitTimelocked(
  ctx: WeightsSenderContext,
  p: SubnetHyperparameters,
  w: U16Weights,
  block: number,
): Promise<string> {
  const beacon = await ctx.chain.timelockBeacon();
  const round = revealRound({
    currentBlock: block,
    netuid: ctx.netuid,
    tempo: p.tempo,
    revealPeriodEpochs: p.revealPeriodEpochs,
    blockTimeSeconds: beacon.blockTimeSeconds,
    nowSeconds: beacon.nowSeconds,
    beacon,
  });
  const payload = encodeWeightsPayload({
    hotkey: ctx.hotkey.address,
    uids: w.uids,
    values: w.weights,
    versionKey: p.weightsVersionKey,
  });
  const commit = timelockEncrypt(payload, roundIdentity(round), beacon.publicKey);
  return await submit(ctx, `timelocked to drand round ${round}`, w, async () => {
    const at = await ctx.chain.commitTimelockedWeights(ctx.hotkey, {
      netuid: ctx.netuid,
      commit,
      revealRound: round,
      commitRevealVersion: p.commitRevealVersion,
    });
    const revealEpoch = revealEpochOf(at.block, ctx.netuid, p);
    save(ctx, {
      kind: "timelocked",
      netuid: ctx.netuid,
      commitBlock: at.block,
      revealRound: round,
      revealEpoch,
      uids: w.uids,
      values: w.weights,
    });
    return at;
  });
}

/** Submits, records the outcome in the weights history, and says what happened. */
async function submit(
  ctx: WeightsSenderContext,
  what: string,
  w: U16Weights,
  call: () => Promise<{ block: number }>,
): Promise<string> {
  const block = await ctx.chain.currentBlock();
  try {
    const { block: at } = await call();
    ctx.state.recordWeightsSet(at, w.uids, w.weights, what === "set" ? "set" : `committed ${what}`);
    return what === "set" ? `set at block ${at}` : `committed at block ${at}, ${what}`;
  } catch (e) {
    const reason = e instanceof ChainRejected ? e.message : `chain error: ${(e as Error).message}`;
    ctx.state.recordWeightsSet(block, w.uids, w.weights, `failed: ${reason}`);
    return `failed: ${reason}`;
  }
}

/** The subnet-shaped u16 weights: process_weights over the metagraph, then the chain's encoding. */
function shape(weights: ReadonlyMap<number, number>, metagraph: Metagraph, p: SubnetHyperparameters): U16Weights {
  if ([...weights.values()].every((w) => !(w > 0))) return { uids: [], weights: [] };
  return toU16Weights(
    processWeights(weights, {
      n: metagraph.neurons.length,
      minAllowedWeights: p.minAllowedWeights,
      maxWeightLimit: p.maxWeightLimit,
    }),
  );
}

/**
 * The reveal of the v2 commit that `intent` describes (the state names the weights `values`, as
 * the reveal extrinsic does). The commit's hash and its reveal are both built here, so that the
 * two can never disagree on a field, which the chain would refuse as a hash mismatch.
 */
function revealPayload(netuid: number, intent: WeightsIntent): RevealPayload {
  return { netuid, uids: intent.uids, weights: intent.values, salt: intent.salt, versionKey: intent.versionKey };
}

function save(ctx: WeightsSenderContext, pending: WeightsPending): WeightsPending {
  ctx.state.setWeightsPending(pending);
  return pending;
}

function hashBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.slice(2).match(/../g)!, (b) => parseInt(b, 16));
}

function joined(notes: string[], last: string): string {
  return [...notes, last].join("; ");
}
