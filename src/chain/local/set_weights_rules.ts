/**
 * set_weights as subtensor checks it (spec 218, `subnets/weights.rs` `do_set_weights`), in its
 * order and with its error names: equal lengths, no more uids than the subnet has, registered
 * hotkey, minimum stake, version key (0 on chain accepts any), rate limit (only when
 * commit-reveal is off; a LastUpdate of 0 never limits), validator permit (a lone self-weight
 * excepted), duplicate and out-of-range uids, minimum count, then max-upscaled u16 values checked
 * against the max weight limit and stored. LastUpdate moves only when commit-reveal is off.
 */
import type { DatabaseSync } from "node:sqlite";
import { ChainRejected, type WeightsPayload, weightsRateLimited } from "../chain.ts";
import type { LocalCall } from "./subnets.ts";

type Row = Record<string, unknown>;

/** A hotkey's uid on a subnet, or undefined. */
export function uidOf(db: DatabaseSync, netuid: number, hotkey: string): number | undefined {
  const row = db.prepare("SELECT uid FROM neurons WHERE netuid = ? AND hotkey = ?").get(netuid, hotkey) as
    | Row
    | undefined;
  return row ? Number(row.uid) : undefined;
}

/**
 * The uid of a hotkey that may commit weights now, as subtensor checks a commit (hash or
 * timelocked): registered, then `check_rate_limit` (LastUpdate 0, never, passes; else `rate limit`
 * blocks since it).
 */
export function committerUid(db: DatabaseSync, call: LocalCall<{ netuid: number }>): number {
  const { netuid, params: p, hotkey, block } = call;
  const uid = uidOf(db, netuid, hotkey);
  if (uid === undefined) throw new ChainRejected("HotKeyNotRegisteredInSubNet", `${hotkey} on subnet ${netuid}`);
  const last = lastUpdate(db, netuid, uid);
  if (weightsRateLimited(last, block, p.weightsRateLimit)) {
    throw new ChainRejected(
      "CommittingWeightsTooFast",
      `last update at block ${last}, rate limit ${p.weightsRateLimit} blocks`,
    );
  }
  return uid;
}

/**
 * Checks and stores one hotkey's weights (inside the caller's transaction): a set_weights, a v2
 * reveal or a decrypted timelocked commit, the three ways weights reach the chain, which all pass
 * these same checks.
 */
export function applyWeights(db: DatabaseSync, call: LocalCall<WeightsPayload>): void {
  const { netuid, params: p, hotkey, uids, weights, versionKey, block } = call;
  if (uids.length !== weights.length) {
    throw new ChainRejected("WeightVecNotEqualSize", `${uids.length} uids, ${weights.length} weights`);
  }
  const n = Number((db.prepare("SELECT COUNT(*) AS n FROM neurons WHERE netuid = ?").get(netuid) as Row).n);
  if (uids.length > n) throw new ChainRejected("UidsLengthExceedUidsInSubNet", `${uids.length} uids, subnet has ${n}`);
  const uid = uidOf(db, netuid, hotkey);
  if (uid === undefined) throw new ChainRejected("HotKeyNotRegisteredInSubNet", `${hotkey} on subnet ${netuid}`);
  const stake = BigInt(
    (db.prepare("SELECT COALESCE(SUM(amount), 0) AS s FROM stake WHERE hotkey = ?").get(hotkey) as Row).s as number,
  );
  if (stake < BigInt(p.weightsMinStake)) {
    throw new ChainRejected("NotEnoughStakeToSetWeights", `stake ${stake} < ${p.weightsMinStake}`);
  }
  if (p.weightsVersionKey !== 0 && versionKey < p.weightsVersionKey) {
    throw new ChainRejected("IncorrectWeightVersionKey", `version key ${versionKey} < ${p.weightsVersionKey}`);
  }
  const last = lastUpdate(db, netuid, uid);
  if (!p.commitRevealEnabled && weightsRateLimited(last, block, p.weightsRateLimit)) {
    throw new ChainRejected(
      "SettingWeightsTooFast",
      `last update at block ${last}, rate limit ${p.weightsRateLimit} blocks`,
    );
  }
  const selfWeight = uids.length === 1 && uids[0] === uid;
  const permit =
    (db.prepare("SELECT validator_permit FROM neurons WHERE netuid = ? AND uid = ?").get(netuid, uid) as Row)
      .validator_permit;
  if (!selfWeight && !permit) throw new ChainRejected("NeuronNoValidatorPermit", `uid ${uid} has no validator permit`);
  if (new Set(uids).size !== uids.length) throw new ChainRejected("DuplicateUids", "a uid appears twice");
  if (uids.some((u) => !Number.isInteger(u) || u < 0 || u >= n)) {
    throw new ChainRejected("UidVecContainInvalidOne", `uids must be in 0..${n - 1}`);
  }
  if (weights.some((w) => !Number.isInteger(w) || w < 0 || w > 65535)) {
    throw new ChainRejected("WeightVecNotEqualSize", "weights must be u16");
  }
  if (!selfWeight && weights.length < Math.min(p.minAllowedWeights, n)) {
    throw new ChainRejected("WeightVecLengthIsLow", `${weights.length} weights < ${Math.min(p.minAllowedWeights, n)}`);
  }
  const upscaled = maxUpscaleU16(weights);
  if (!selfWeight && p.maxWeightLimit !== 65535) {
    const total = upscaled.reduce((a, b) => a + b, 0);
    if (total > 0 && Math.max(...upscaled) / total > p.maxWeightLimit / 65535) {
      throw new ChainRejected("MaxWeightExceeded", `a uid takes more than ${p.maxWeightLimit}/65535 of the weight`);
    }
  }
  const row = uids.map((u, i) => [u, upscaled[i]]);
  db.prepare("INSERT OR REPLACE INTO weights (netuid, uid, data) VALUES (?, ?, ?)").run(
    netuid,
    uid,
    JSON.stringify(row),
  );
  if (!p.commitRevealEnabled) {
    db.prepare("UPDATE neurons SET last_update = ? WHERE netuid = ? AND uid = ?").run(block, netuid, uid);
  }
}

/**
 * subtensor's `vec_u16_max_upscale_to_u16`: each value × 65535 / max, rounded half away from
 * zero (I32F32 `round`); all zeros stay zeros.
 */
export function maxUpscaleU16(values: number[]): number[] {
  const max = Math.max(0, ...values);
  if (max === 0) return values.map(() => 0);
  return values.map((v) => Number((BigInt(v) * 65535n * 2n + BigInt(max)) / (2n * BigInt(max))));
}

function lastUpdate(db: DatabaseSync, netuid: number, uid: number): number {
  return Number(
    (db.prepare("SELECT last_update FROM neurons WHERE netuid = ? AND uid = ?").get(netuid, uid) as Row).last_update,
  );
}
