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
import { ChainRejected, epochIndex, type TimelockedCommitPayload } from "../chain.ts";
import { decodeWeightsPayload, timelockDecrypt } from "../timelock/mod.ts";
import { applyWeights, committerUid } from "./set_weights_rules.ts";
import type { LocalCall, SubnetAt } from "./subnets.ts";

type Row = Record<string, unknown>;

/** Largest ciphertext accepted (subtensor's MAX_CRV3_COMMIT_SIZE_BYTES). */
export const MAX_TIMELOCKED_COMMIT_BYTES = 5000;

/** Stores one timelocked commit (inside the caller's transaction). */
export function storeTimelockedCommit(db: DatabaseSync, call: LocalCall<TimelockedCommitPayload>): void {
  const { netuid, params: p, hotkey, block } = call;
  if (!p.commitRevealEnabled) {
    throw new ChainRejected("CommitRevealDisabled", `subnet ${netuid} does not use commit-reveal`);
  }
  if (call.commitRevealVersion !== p.commitRevealVersion) {
    throw new ChainRejected(
      "IncorrectCommitRevealVersion",
      `the chain takes commit-reveal version ${p.commitRevealVersion}, not ${call.commitRevealVersion}`,
    );
  }
  if (call.commit.length > MAX_TIMELOCKED_COMMIT_BYTES) {
    throw new ChainRejected("CommitTooLarge", `${call.commit.length} bytes > ${MAX_TIMELOCKED_COMMIT_BYTES}`);
  }
  const uid = committerUid(db, call);
  const epoch = epochIndex(block, netuid, p.tempo);
  const count = Number(
    (db.prepare("SELECT COUNT(*) AS n FROM timelocked_commits WHERE netuid = ? AND epoch = ? AND hotkey = ?").get(
      netuid,
      epoch,
      hotkey,
    ) as Row).n,
  );
  if (count >= 10) throw new ChainRejected("TooManyUnrevealedCommits", "10 commits await reveal this epoch");
  db.prepare(
    "INSERT INTO timelocked_commits (netuid, epoch, hotkey, block, commit_bytes, round) VALUES (?, ?, ?, ?, ?, ?)",
  ).run(netuid, epoch, hotkey, block, call.commit, call.revealRound);
  db.prepare("UPDATE neurons SET last_update = ? WHERE netuid = ? AND uid = ?").run(block, netuid, uid);
}

/**
 * Reveals what is due on a subnet at its block (inside the caller's transaction); `pulse(round)`
 * is the beacon's signature for a round once it exists. Returns how many commits were applied.
 */
export function revealTimelockedCommits(
  db: DatabaseSync,
  at: SubnetAt,
  pulse: (round: number) => Uint8Array | undefined,
): number {
  const { netuid, params: p, block } = at;
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
      // Applied as a set_weights signed by the committer, at the block that reveals it.
      applyWeights(db, {
        ...at,
        hotkey: c.hotkey as string,
        uids: payload.uids,
        weights: payload.values,
        versionKey: Number(payload.versionKey),
      });
      applied++;
    } catch {
      // As the runtime: a commit that does not open, decode or pass the weight rules is dropped.
    }
  }
  return applied;
}
