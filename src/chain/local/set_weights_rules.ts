/**
 * set_weights as subtensor checks it, in subtensor's order and with its error names: equal
 * lengths, registered hotkey, version key, validator permit (self-weight excepted), rate limit,
 * duplicate and out-of-range uids, u16 values, minimum count; then max-upscaled u16 storage.
 */
import type { DatabaseSync } from "node:sqlite";
import { toU16Weights } from "../../scoring/mod.ts";
import { ChainRejected } from "../chain.ts";
import type { LocalSubnetParams } from "./params.ts";

type Row = Record<string, unknown>;

/** A hotkey's uid on a subnet, or undefined. */
export function uidOf(db: DatabaseSync, netuid: number, hotkey: string): number | undefined {
  const row = db.prepare("SELECT uid FROM neurons WHERE netuid = ? AND hotkey = ?").get(netuid, hotkey) as
    | Row
    | undefined;
  return row ? Number(row.uid) : undefined;
}

/** Checks and stores one hotkey's weights (inside the caller's transaction). */
export function applyWeights(
  db: DatabaseSync,
  netuid: number,
  p: LocalSubnetParams,
  hotkey: string,
  uids: number[],
  weights: number[],
  versionKey: number,
  block: number,
  rateLimited: boolean,
): void {
  if (uids.length !== weights.length) {
    throw new ChainRejected("WeightVecNotEqualSize", `${uids.length} uids, ${weights.length} weights`);
  }
  const uid = uidOf(db, netuid, hotkey);
  if (uid === undefined) throw new ChainRejected("HotKeyNotRegisteredInSubNet", `${hotkey} on subnet ${netuid}`);
  if (versionKey < p.weightsVersionKey) {
    throw new ChainRejected("IncorrectWeightVersionKey", `version key ${versionKey} < ${p.weightsVersionKey}`);
  }
  const neuron = db.prepare("SELECT validator_permit, last_update FROM neurons WHERE netuid = ? AND uid = ?")
    .get(netuid, uid) as Row;
  const selfOnly = uids.length === 1 && uids[0] === uid;
  if (!neuron.validator_permit && !selfOnly) {
    throw new ChainRejected("NeuronNoValidatorPermit", `uid ${uid} has no validator permit`);
  }
  if (rateLimited && block - Number(neuron.last_update) < p.weightsRateLimit) {
    throw new ChainRejected(
      "SettingWeightsTooFast",
      `last update at block ${neuron.last_update}, rate limit ${p.weightsRateLimit} blocks`,
    );
  }
  if (new Set(uids).size !== uids.length) throw new ChainRejected("DuplicateUids", "a uid appears twice");
  const n = Number((db.prepare("SELECT COUNT(*) AS n FROM neurons WHERE netuid = ?").get(netuid) as Row).n);
  if (uids.some((u) => !Number.isInteger(u) || u < 0 || u >= n)) {
    throw new ChainRejected("UidVecContainInvalidOne", `uids must be in 0..${n - 1}`);
  }
  if (weights.some((w) => !Number.isInteger(w) || w < 0 || w > 65535)) {
    throw new ChainRejected("WeightVecNotEqualSize", "weights must be u16");
  }
  if (!selfOnly && uids.length < Math.min(p.minAllowedWeights, n)) {
    throw new ChainRejected("WeightVecLengthIsLow", `${uids.length} weights < ${p.minAllowedWeights}`);
  }
  const scaled = toU16Weights(new Map(uids.map((u, i) => [u, weights[i]])));
  const row = scaled.uids.map((u, i) => [u, scaled.weights[i]]);
  db.prepare("INSERT OR REPLACE INTO weights (netuid, uid, data) VALUES (?, ?, ?)").run(
    netuid,
    uid,
    JSON.stringify(row),
  );
  db.prepare("UPDATE neurons SET last_update = ? WHERE netuid = ? AND uid = ?").run(block, netuid, uid);
}
