/**
 * Subnets on the local chain: each one's parameters, stored as JSON in `subnets.params`. A stored
 * set is read under the current defaults, so a chain file written before a parameter existed
 * still opens, with that parameter at its default.
 */
import type { DatabaseSync } from "node:sqlite";
import { ChainRejected } from "../chain.ts";
import { DEFAULT_SUBNET_PARAMS, type LocalSubnetParams } from "./params.ts";

type Row = Record<string, unknown>;

/** A subnet as one block sees it: what each step of a block and each call in it runs on. */
export interface SubnetAt {
  netuid: number;
  params: LocalSubnetParams;
  block: number;
}

/**
 * A signed call as the local chain runs it: the call's payload (a `Chain` payload type), the
 * signer's SS58 address, and the subnet it names at the block it lands in, flat in one object so
 * that the rules read `call.uids`, `call.params` and `call.block` alike.
 */
export type LocalCall<P extends { netuid: number }> = P & SubnetAt & { hotkey: string };

/** A subnet's parameters; refused as subtensor refuses a call on a subnet that does not exist. */
export function subnetParams(db: DatabaseSync, netuid: number): LocalSubnetParams {
  const row = db.prepare("SELECT params FROM subnets WHERE netuid = ?").get(netuid) as Row | undefined;
  if (!row) throw new ChainRejected("SubNetworkDoesNotExist", `subnet ${netuid} does not exist`);
  return { ...DEFAULT_SUBNET_PARAMS, ...JSON.parse(row.params as string) };
}

/** Every subnet with its parameters, by netuid. */
export function allSubnets(db: DatabaseSync): { netuid: number; params: LocalSubnetParams }[] {
  return (db.prepare("SELECT netuid, params FROM subnets").all() as Row[]).map((s) => ({
    netuid: Number(s.netuid),
    params: { ...DEFAULT_SUBNET_PARAMS, ...JSON.parse(s.params as string) } as LocalSubnetParams,
  }));
}

/**
 * Creates a subnet, or changes some of an existing one's parameters (the rest keep their stored
 * values); inside the caller's transaction.
 */
export function saveSubnet(db: DatabaseSync, netuid: number, params: Partial<LocalSubnetParams>): void {
  const existing = db.prepare("SELECT params FROM subnets WHERE netuid = ?").get(netuid) as Row | undefined;
  const merged = {
    ...DEFAULT_SUBNET_PARAMS,
    ...(existing ? JSON.parse(existing.params as string) : {}),
    ...params,
  };
  db.prepare("INSERT OR REPLACE INTO subnets (netuid, params) VALUES (?, ?)").run(netuid, JSON.stringify(merged));
}
