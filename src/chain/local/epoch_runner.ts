/**
 * One subnet epoch on the local chain: Yuma Consensus over the stored state, results written to
 * the neurons, emission paid into stake, bonds replaced, the result kept in the epoch history.
 */
import type { DatabaseSync } from "node:sqlite";
import { pickYumaParams, type SparseU16, yumaEpoch } from "../yuma/mod.ts";
import type { SubnetAt } from "./subnets.ts";

type Row = Record<string, unknown>;

/** Runs the subnet's epoch at its block (inside the caller's transaction). */
export function runEpoch(db: DatabaseSync, at: SubnetAt): void {
  const { netuid, params: p, block } = at;
  const query = db.prepare(
    "SELECT n.uid, n.hotkey, n.last_update, n.block_at_registration, n.validator_permit, COALESCE(s.amount, 0) AS stake FROM neurons n LEFT JOIN stake s ON s.hotkey = n.hotkey WHERE netuid = ? ORDER BY uid",
  );
  query.setReadBigInts(true); // stake passes 2^53 rao; Yuma only needs its proportions, so float64 is enough there
  const rows = query.all(netuid) as Row[];
  if (rows.length === 0) return;
  const result = yumaEpoch({
    block,
    stake: rows.map((r) => Number(r.stake)),
    weights: readSparse(db, "weights", netuid),
    bonds: readSparse(db, "bonds", netuid),
    lastUpdate: rows.map((r) => Number(r.last_update)),
    blockAtRegistration: rows.map((r) => Number(r.block_at_registration)),
    validatorPermit: rows.map((r) => Boolean(r.validator_permit)),
    params: pickYumaParams({ ...p }),
  });
  const update = db.prepare(
    "UPDATE neurons SET validator_permit = ?, consensus = ?, incentive = ?, dividends = ?, trust = ?, validator_trust = ?, emission = ? WHERE netuid = ? AND uid = ?",
  );
  const pay = db.prepare(
    "INSERT INTO stake (hotkey, amount) VALUES (?, ?) ON CONFLICT (hotkey) DO UPDATE SET amount = amount + excluded.amount",
  );
  rows.forEach((r, i) => {
    update.run(
      result.validatorPermit[i] ? 1 : 0,
      result.consensus[i],
      result.incentive[i],
      result.dividends[i],
      result.trust[i],
      result.validatorTrust[i],
      result.emission[i],
      netuid,
      i,
    );
    if (result.emission[i] > 0) pay.run(r.hotkey as string, result.emission[i]);
  });
  db.prepare("DELETE FROM bonds WHERE netuid = ?").run(netuid);
  for (const [uid, entries] of Object.entries(result.bonds)) {
    db.prepare("INSERT INTO bonds (netuid, uid, data) VALUES (?, ?, ?)").run(
      netuid,
      Number(uid),
      JSON.stringify(entries),
    );
  }
  db.prepare("INSERT OR REPLACE INTO epochs (netuid, block, result) VALUES (?, ?, ?)").run(
    netuid,
    block,
    JSON.stringify(result),
  );
}

/** Stored weights or bonds of a subnet as sparse u16 rows. */
export function readSparse(db: DatabaseSync, table: "weights" | "bonds", netuid: number): SparseU16 {
  const out: SparseU16 = {};
  for (const r of db.prepare(`SELECT uid, data FROM ${table} WHERE netuid = ?`).all(netuid) as Row[]) {
    out[Number(r.uid)] = JSON.parse(r.data as string);
  }
  return out;
}
