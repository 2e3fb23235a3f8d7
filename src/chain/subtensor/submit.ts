/**
 * One extrinsic, signed, submitted and followed to its outcome. The node's status stream
 * (`author_submitAndWatchExtrinsic`) is the fast path, but it is not the only witness: a stream can
 * end without a word (@polkadot/rpc-provider does not re-create `author_` subscriptions after a
 * reconnect, and a node that fails to build a block drops the transactions it took from its pool
 * without notifying their watchers). So the chain itself is also read: every block from the one
 * before submission to the head is searched for the extrinsic's hash. Whichever finds it first
 * decides, and both read the outcome the same way, from the including block's events.
 *
 * Every terminal status ends the wait (Invalid, Dropped, Usurped, FinalityTimeout), and so does the
 * deadline, whose message names the last status and the head it reached.
 */
import type { ApiPromise } from "@polkadot/api";
import type { SubmittableExtrinsic } from "@polkadot/api/types";
import type { KeyringPair } from "@polkadot/keyring/types";
import { ChainRejected, type Inclusion } from "../chain.ts";
import { dispatchErrorName, poolErrorName } from "./codec.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/** How a submission is followed. */
export interface SubmitOptions {
  /** The longest wait for inclusion. */
  timeoutMs: number;
  /** How often the chain is searched for the extrinsic when the status stream is silent. */
  pollMs?: number;
}

/**
 * Signs `tx` with `signer` (the next nonce), submits it and resolves with its including block. A
 * dispatch error rejects as `ChainRejected(pallet error)`, a refusal by the pool as
 * `ChainRejected(custom error)`, a terminal status or the deadline as an Error naming it.
 */
export async function submitExtrinsic(
  api: ApiPromise,
  tx: SubmittableExtrinsic<"promise">,
  signer: KeyringPair,
  o: SubmitOptions,
): Promise<Inclusion> {
  const what = `${tx.method.section}.${tx.method.method}`;
  const from = (await api.rpc.chain.getHeader()).number.toNumber();
  await tx.signAsync(signer, { nonce: -1 });
  const hash = tx.hash.toHex();
  let last = "none";
  let head = from;
  let settled = false;
  let unsubscribe: () => void = () => {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  let poller: ReturnType<typeof setTimeout> | undefined;

  return await new Promise<Inclusion>((resolve, reject) => {
    const finish = (outcome: Promise<Inclusion>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(poller);
      unsubscribe();
      outcome.then(resolve, reject);
    };
    // The outcome once the including block is known, read from its events.
    const included = (blockHash: string) => {
      if (!settled) finish(outcomeAt(api, blockHash, hash, what));
    };
    timer = setTimeout(
      () =>
        finish(
          Promise.reject(
            new Error(
              `${what}: not included within ${o.timeoutMs} ms (last status ${last}; searched blocks ${from}..${head})`,
            ),
          ),
        ),
      o.timeoutMs,
    );

    tx.send((result) => {
      last = result.status.type;
      if (result.status.isInBlock) included(result.status.asInBlock.toHex());
      else if (result.status.isFinalized) included(result.status.asFinalized.toHex());
      else if (
        result.status.isInvalid || result.status.isDropped || result.status.isUsurped ||
        result.status.isFinalityTimeout
      ) finish(Promise.reject(new Error(`${what}: ${result.status.type}`)));
    }).then(
      (u) => (settled ? u() : (unsubscribe = u)),
      (e) => {
        const name = poolErrorName((e as Error).message);
        finish(Promise.reject(name ? new ChainRejected(name, `${what} refused by the transaction pool`) : e));
      },
    );

    // The second witness: the chain's own blocks.
    let searched = from; // blocks up to `searched` hold no copy of the extrinsic
    const poll = async () => {
      try {
        head = (await api.rpc.chain.getHeader()).number.toNumber();
        for (let n = searched + 1; n <= head && !settled; n++) {
          const blockHash = (await api.rpc.chain.getBlockHash(n)).toHex();
          const block = await api.rpc.chain.getBlock(blockHash);
          if (block.block.extrinsics.some((x) => x.hash.toHex() === hash)) return included(blockHash);
          searched = n;
        }
      } catch { /* a failed read is retried at the next poll; the deadline still bounds the wait */ }
      if (!settled) poller = setTimeout(poll, o.pollMs ?? 3_000);
    };
    poller = setTimeout(poll, o.pollMs ?? 3_000);
  });
}

/** The extrinsic's outcome in the block that holds it: its number, or its dispatch error by name. */
async function outcomeAt(api: ApiPromise, blockHash: string, hash: string, what: string): Promise<Inclusion> {
  const [signed, header, events] = await Promise.all([
    api.rpc.chain.getBlock(blockHash),
    api.rpc.chain.getHeader(blockHash),
    (api.query.system.events as Any).at(blockHash),
  ]);
  const index = signed.block.extrinsics.findIndex((x) => x.hash.toHex() === hash);
  for (const { phase, event } of events as Any[]) {
    if (!phase.isApplyExtrinsic || phase.asApplyExtrinsic.toNumber() !== index) continue;
    if (api.events.system.ExtrinsicFailed.is(event)) {
      throw new ChainRejected(dispatchErrorName(api.registry, (event.data as Any).dispatchError), `${what} failed`);
    }
  }
  return { block: header.number.toNumber() };
}
