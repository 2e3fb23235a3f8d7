/**
 * The local chain's setup of neurons and stake, which the demo and the tests do where a real
 * network would burn TAO to register and stake through extrinsics this chain does not model. Each
 * runs inside the caller's write transaction.
 */
import type { DatabaseSync } from "node:sqlite";
import { ChainRejected } from "../chain.ts";
import type { LocalSubnetParams } from "./params.ts";
import { uidOf } from "./set_weights_rules.ts";

type Row = Record<string, unknown>;

/**
 * Registers `hotkey` on a subnet at `block` and returns its uid: the next free one, or, when the
 * subnet is full, the uid of the neuron with the lowest emission (the oldest registration, then
 * the lowest uid, among equals), whose weights and bonds go with it.
 */
export function registerNeuron(
  db: DatabaseSync,
  o: { netuid: number; params: LocalSubnetParams; hotkey: string; coldkey: string; block: number },
): number {
  const { netuid, hotkey, block } = o;
  if (uidOf(db, netuid, hotkey) !== undefined) {
    throw new ChainRejected("HotKeyAlreadyRegisteredInSubNet", `${hotkey} on subnet ${netuid}`);
  }
  const count = Number((db.prepare("SELECT COUNT(*) AS n FROM neurons WHERE netuid = ?").get(netuid) as Row).n);
  let uid = count;
  if (count >= o.params.maxAllowedUids) {
    uid = Number(
      (db.prepare(
        "SELECT uid FROM neurons WHERE netuid = ? ORDER BY emission, block_at_registration, uid LIMIT 1",
      ).get(netuid) as Row).uid,
    );
    for (const t of ["neurons", "weights", "bonds"]) {
      db.prepare(`DELETE FROM ${t} WHERE netuid = ? AND uid = ?`).run(netuid, uid);
    }
  }
  // A new neuron's LastUpdate is its registration block, as subtensor's append_neuron sets it.
  db.prepare(
    "INSERT INTO neurons (netuid, uid, hotkey, coldkey, block_at_registration, last_update) VALUES (?, ?, ?, ?, ?, ?)",
  ).run(netuid, uid, hotkey, o.coldkey, block, block);
  return uid;
}

/** Adds stake (rao) to a hotkey: one amount per hotkey, whichever subnets it is registered on. */
export function addStake(db: DatabaseSync, hotkey: string, rao: bigint): void {
  db.prepare(
    "INSERT INTO stake (hotkey, amount) VALUES (?, ?) ON CONFLICT (hotkey) DO UPDATE SET amount = amount + excluded.amount",
  ).run(hotkey, rao);
}
