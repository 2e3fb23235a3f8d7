/**
 * The one interface validators and miners use to meet on chain, implemented by the embedded
 * local chain and by subtensor. Amounts are in rao (bigint-safe numbers up to 2^53).
 */
import type { KeyringPair } from "@polkadot/keyring/types";

/** One registered neuron as the metagraph shows it. */
export interface Neuron {
  uid: number;
  hotkey: string;
  coldkey: string;
  /** Stake (rao) counted by the epoch. */
  stake: number;
  validatorPermit: boolean;
  lastUpdate: number;
  blockAtRegistration: number;
  /** Results of the last epoch, as proportions in [0, 1] and rao. */
  consensus: number;
  incentive: number;
  dividends: number;
  trust: number;
  validatorTrust: number;
  emission: number;
}

/** A subnet's neurons at a block. */
export interface Metagraph {
  netuid: number;
  block: number;
  neurons: Neuron[];
}

/** The subnet hyperparameters the validator and miner need. */
export interface SubnetHyperparameters {
  tempo: number;
  /** Blocks a hotkey must wait between two set_weights. */
  weightsRateLimit: number;
  /** set_weights must carry a version key ≥ this. */
  weightsVersionKey: number;
  commitRevealEnabled: boolean;
  /** Epochs between a weights commit and its reveal. */
  revealPeriodEpochs: number;
  activityCutoff: number;
  maxAllowedValidators: number;
}

/** A miner's commitment and the block it was set at. */
export interface Commitment {
  hotkey: string;
  block: number;
  /** The committed bytes as UTF-8 (the metadata string). */
  data: string;
}

/** A call the chain refused; `error` is the pallet error's name (e.g. "SettingWeightsTooFast"). */
export class ChainRejected extends Error {
  constructor(readonly error: string, message: string) {
    super(`${error}: ${message}`);
    this.name = "ChainRejected";
  }
}

/** The chain operations of the product. Signers are sr25519 keyring pairs (hotkeys). */
export interface Chain {
  /** "local" or the endpoint. */
  readonly name: string;
  currentBlock(): Promise<number>;
  /** 0x-prefixed 32-byte hash of a block at or before the current one. */
  blockHash(block: number): Promise<string>;
  metagraph(netuid: number): Promise<Metagraph>;
  hyperparameters(netuid: number): Promise<SubnetHyperparameters>;
  /** Every commitment on the subnet. */
  commitments(netuid: number): Promise<Commitment[]>;
  commitment(netuid: number, hotkey: string): Promise<Commitment | null>;
  setCommitment(netuid: number, hotkey: KeyringPair, data: string): Promise<void>;
  /** Weights as u16 (they are max-upscaled on chain). */
  setWeights(netuid: number, hotkey: KeyringPair, uids: number[], weights: number[], versionKey: number): Promise<void>;
  /** Commit-reveal v2: the blake2-256 hash of the weights to reveal later (see commit_reveal.ts). */
  commitWeights(netuid: number, hotkey: KeyringPair, commitHash: Uint8Array): Promise<void>;
  revealWeights(
    netuid: number,
    hotkey: KeyringPair,
    uids: number[],
    weights: number[],
    salt: number[],
    versionKey: number,
  ): Promise<void>;
  close(): Promise<void>;
}

/** The epoch index of a block, as subtensor counts it: ⌊(block + netuid + 1) / (tempo + 1)⌋. */
export function epochIndex(block: number, netuid: number, tempo: number): number {
  return Math.floor((block + netuid + 1) / (tempo + 1));
}

/** Whether subtensor runs the subnet's epoch at this block: (block + netuid + 1) mod (tempo + 1) = 0. */
export function isEpochBlock(block: number, netuid: number, tempo: number): boolean {
  return (block + netuid + 1) % (tempo + 1) === 0;
}
