/** A metagraph neuron for tests that read an epoch's results: its incentive and emission (rao), the rest a plain miner's. */
import type { Neuron } from "../../src/mod.ts";

export function paidNeuron(uid: number, hotkey: string, incentive: number, emission: bigint): Neuron {
  return {
    uid,
    hotkey,
    coldkey: hotkey,
    stake: 0n,
    validatorPermit: false,
    lastUpdate: 0,
    blockAtRegistration: 0,
    consensus: incentive,
    incentive,
    dividends: 0,
    trust: 1,
    validatorTrust: 0,
    emission,
  };
}
