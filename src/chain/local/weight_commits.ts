/**
 * Commit-reveal version 2 on the local chain, as subtensor spec 218 does it
 * (`subnets/weights.rs` `do_commit_weights`, `do_reveal_weights`): each hotkey has a queue of
 * commit hashes, oldest first, each revealable only in its reveal epoch (commit epoch + reveal
 * period) and expired after it. Both calls run inside the caller's write transaction, so a
 * refusal changes nothing, as the runtime's storage mutation is transactional.
 */
import type { DatabaseSync } from "node:sqlite";
import { u8aToHex } from "@polkadot/util";
import {
  ChainRejected,
  epochIndex,
  type HashCommitPayload,
  revealEpochOf,
  type RevealPayload,
  type WeightCommit,
} from "../chain.ts";
import { commitHash } from "../commit_reveal.ts";
import { applyWeights, committerUid } from "./set_weights_rules.ts";
import type { LocalCall } from "./subnets.ts";

type Row = Record<string, unknown>;

/**
 * subtensor's `do_commit_weights`: commit-reveal on, registered, rate limit by LastUpdate; expired
 * commits are dropped from the front of the queue before the limit of unrevealed commits (10) is
 * checked; LastUpdate moves to the commit block.
 */
export function storeWeightCommit(db: DatabaseSync, call: LocalCall<HashCommitPayload>): void {
  const { netuid, params: p, hotkey, block } = call;
  if (!p.commitRevealEnabled) {
    throw new ChainRejected("CommitRevealDisabled", `subnet ${netuid} does not use commit-reveal`);
  }
  const uid = committerUid(db, call);
  const expired = (c: Row) => epochIndex(block, netuid, p.tempo) > revealEpochOf(Number(c.block), netuid, p);
  for (const c of queue(db, netuid, hotkey)) {
    if (!expired(c)) break;
    db.prepare("DELETE FROM weight_commits WHERE rowid = ?").run(c.rowid as number);
  }
  if (queue(db, netuid, hotkey).length >= p.maxUnrevealedCommits) {
    throw new ChainRejected("TooManyUnrevealedCommits", `${p.maxUnrevealedCommits} commits await reveal`);
  }
  db.prepare("INSERT INTO weight_commits (netuid, hotkey, hash, block) VALUES (?, ?, ?, ?)").run(
    netuid,
    hotkey,
    u8aToHex(call.hash),
    block,
  );
  db.prepare("UPDATE neurons SET last_update = ? WHERE netuid = ? AND uid = ?").run(block, netuid, uid);
}

/**
 * subtensor's `do_reveal_weights`: the hash must match a commit that has not expired, in exactly
 * its reveal epoch; the commit and every one before it leave the queue; the weights are then set
 * without the rate limit and without moving LastUpdate.
 */
export function revealWeightCommit(db: DatabaseSync, call: LocalCall<RevealPayload>): void {
  const { netuid, params: p, hotkey, block } = call;
  if (!p.commitRevealEnabled) {
    throw new ChainRejected("CommitRevealDisabled", `subnet ${netuid} does not use commit-reveal`);
  }
  const all = queue(db, netuid, hotkey);
  if (all.length === 0) {
    throw new ChainRejected("NoWeightsCommitFound", `${hotkey} has no commit on subnet ${netuid}`);
  }
  const now = epochIndex(block, netuid, p.tempo);
  const revealEpoch = (c: Row) => revealEpochOf(Number(c.block), netuid, p);
  const expired = all.filter((c) => now > revealEpoch(c));
  const live = all.slice(expired.length);
  // The call carries the payload's fields, so it is hashed as the validator hashed its commit.
  const hash = u8aToHex(commitHash(hotkey, call));
  const position = live.findIndex((c) => c.hash === hash);
  if (position < 0) {
    if (expired.some((c) => c.hash === hash)) {
      throw new ChainRejected("ExpiredWeightCommit", `its reveal epoch has passed (now epoch ${now})`);
    }
    if (live.length === 0) throw new ChainRejected("NoWeightsCommitFound", "every commit has expired");
    throw new ChainRejected(
      "InvalidRevealCommitHashNotMatch",
      "no commit matches these weights, salt and version key",
    );
  }
  if (now !== revealEpoch(live[position])) {
    throw new ChainRejected("RevealTooEarly", `reveal in epoch ${revealEpoch(live[position])}, now ${now}`);
  }
  for (const c of all.slice(0, expired.length + position + 1)) {
    db.prepare("DELETE FROM weight_commits WHERE rowid = ?").run(c.rowid as number);
  }
  applyWeights(db, call);
}

/** A hotkey's queue of commits, oldest first, as the Chain interface reports it. */
export function weightCommitsOf(db: DatabaseSync, netuid: number, hotkey: string): WeightCommit[] {
  return queue(db, netuid, hotkey).map((c) => ({ hash: c.hash as string, block: Number(c.block) }));
}

/** The queue's rows, oldest first; rowid (insertion order) orders a block's commits, as the runtime's queue is in push order. */
function queue(db: DatabaseSync, netuid: number, hotkey: string): Row[] {
  return db.prepare(
    "SELECT rowid, hash, block FROM weight_commits WHERE netuid = ? AND hotkey = ? ORDER BY block, rowid",
  ).all(netuid, hotkey) as Row[];
}
