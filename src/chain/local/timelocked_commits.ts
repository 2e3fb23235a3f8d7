/**
 * Timelocked commit-reveal on the local chain, as subtensor does it (`subnets/weights.rs`
 * `internal_commit_timelocked_weights`, `coinbase/reveal_commits.rs`):
 * - a commit must carry the chain's commit-reveal version, come from a registered hotkey that
 *   passes the rate limit (LastUpdate), and the hotkey may hold at most 10 unrevealed commits per
 *   epoch; it is stored under the epoch it was made in, and LastUpdate moves;
 * - every block, the commits of epoch (current − reveal period) whose drand round has a pulse are
 *   decrypted with it and applied as set_weights by the committer (a payload for another hotkey,
 *   one that does not decrypt or decode, or weights the rules refuse are dropped); commits whose
 *   round has no pulse yet wait; commits of older epochs are removed.
 * Pulses come from the chain's local beacon (../timelock/beacon.ts).
 */
import type { DatabaseSync } from "node:sqlite";
import { decodeAddress } from "@polkadot/util-crypto";
import { u8aEq } from "@polkadot/util";
import { ChainRejected, epochIndex } from "../chain.ts";
import { decodeWeightsPayload, timelockDecrypt } from "../timelock/mod.ts";
import { applyWeights, checkCommitRateLimit, uidOf } from "./set_weights_rules.ts";
import type { LocalSubnetParams } from "./params.ts";

type Row = Record<string, unknown>;

/** Largest ciphertext accepted (subtensor's MAX_CRV3_COMMIT_SIZE_BYTES). */
export const MAX_TIMELOCKED_COMMIT_BYTES = 5000;

/** Stores one timelocked commit (inside the caller's transaction). */
export function storeTimelockedCommit(
  db: DatabaseSync,
  o: {
    netuid: number;
    params: LocalSubnetParams;
    hotkey: string;
    commit: Uint8Array;
    revealRound: number;
    commitRevealVersion: number;
    block: number;
  },
): void {
  const p = o.params;
  if (!p.commitRevealEnabled) {
    throw new ChainRejected("CommitRevealDisabled", `subnet ${o.netuid} does not use commit-reveal`);
  }
  if (o.commitRevealVersion !== p.commitRevealVersion) {
    throw new ChainRejected(
      "IncorrectCommitRevealVersion",
      `the chain takes commit-reveal version ${p.commitRevealVersion}, not ${o.commitRevealVersion}`,
    );
  }
  if (o.commit.length > MAX_TIMELOCKED_COMMIT_BYTES) {
    throw new ChainRejected("CommitTooLarge", `${o.commit.length} bytes > ${MAX_TIMELOCKED_COMMIT_BYTES}`);
  }
  const uid = uidOf(db, o.netuid, o.hotkey);
  if (uid === undefined) throw new ChainRejected("HotKeyNotRegisteredInSubNet", `${o.hotkey} on subnet ${o.netuid}`);
  checkCommitRateLimit(db, o.netuid, p, uid, o.block);
  const epoch = epochIndex(o.block, o.netuid, p.tempo);
  const count = Number(
    (db.prepare("SELECT COUNT(*) AS n FROM timelocked_commits WHERE netuid = ? AND epoch = ? AND hotkey = ?").get(
      o.netuid,
      epoch,
      o.hotkey,
    ) as Row).n,
  );
  if (count >= 10) throw new ChainRejected("TooManyUnrevealedCommits", "10 commits await reveal this epoch");
  db.prepare(
    "INSERT INTO timelocked_commits (netuid, epoch, hotkey, block, commit_bytes, round) VALUES (?, ?, ?, ?, ?, ?)",
  ).run(o.netuid, epoch, o.hotkey, o.block, o.commit, o.revealRound);
  db.prepare("UPDATE neurons SET last_update = ? WHERE netuid = ? AND uid = ?").run(o.block, o.netuid, uid);
}

/**
 * Reveals what is due at `block` (inside the caller's transaction); `pulse(round)` is the
 * beacon's signature for a round once it exists. Returns how many commits were applied.
 */
export function revealTimelockedCommits(
  db: DatabaseSync,
  netuid: number,
  p: LocalSubnetParams,
  block: number,
  pulse: (round: number) => Uint8Array | undefined,
): number {
  const revealEpoch = epochIndex(block, netuid, p.tempo) - p.revealPeriodEpochs;
  db.prepare("DELETE FROM timelocked_commits WHERE netuid = ? AND epoch < ?").run(netuid, revealEpoch);
  const due = db.prepare(
    "SELECT rowid, hotkey, commit_bytes, round FROM timelocked_commits WHERE netuid = ? AND epoch = ? ORDER BY rowid",
  ).all(netuid, revealEpoch) as Row[];
  let applied = 0;
  for (const c of due) {
    const signature = pulse(Number(c.round));
    if (!signature) continue; // the round is not out yet: retried on the next block of the epoch
    db.prepare("DELETE FROM timelocked_commits WHERE rowid = ?").run(c.rowid as number);
    try {
      const payload = decodeWeightsPayload(timelockDecrypt(c.commit_bytes as Uint8Array, signature));
      if (!u8aEq(payload.hotkey, decodeAddress(c.hotkey as string))) continue;
      applyWeights(db, netuid, p, c.hotkey as string, payload.uids, payload.values, Number(payload.versionKey), block);
      applied++;
    } catch {
      // As the runtime: a commit that does not open, decode or pass the weight rules is dropped.
    }
  }
  return applied;
}
