/**
 * The one interface validators and miners use to meet on chain, implemented by the embedded
 * local chain and by subtensor. Amounts (stake, emission) are rao as `bigint`: mainnet amounts
 * pass 2^53. Every method submits or reads and returns; none waits for a rate limit or an epoch
 * (the weights policy lives in the validator, src/validator/weights_sender.ts).
 */
import type { KeyringPair } from "@polkadot/keyring/types";

/** One registered neuron as the metagraph shows it. */
export interface Neuron {
  uid: number;
  hotkey: string;
  coldkey: string;
  /** Stake (rao) counted by the epoch. */
  stake: bigint;
  validatorPermit: boolean;
  /** Block of the neuron's last set_weights (or weights commit); 0 when never. */
  lastUpdate: number;
  blockAtRegistration: number;
  /** Results of the last epoch, as proportions in [0, 1] and rao. */
  consensus: number;
  incentive: number;
  dividends: number;
  trust: number;
  validatorTrust: number;
  emission: bigint;
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
  /** Blocks a hotkey must wait between two set_weights (or two commits). */
  weightsRateLimit: number;
  /** set_weights must carry a version key ≥ this (0: any). */
  weightsVersionKey: number;
  commitRevealEnabled: boolean;
  /** Epochs between a weights commit and its reveal. */
  revealPeriodEpochs: number;
  activityCutoff: number;
  maxAllowedValidators: number;
  /** A weights vector must name at least this many uids (or every uid when the subnet is smaller). */
  minAllowedWeights: number;
  /** The largest share one uid may take after normalisation, as a u16 ratio (65535: no limit). */
  maxWeightLimit: number;
  /**
   * How commit-reveal takes weights: 2 = commit a hash, reveal it yourself one reveal period
   * later; ≥ 3 = timelocked: commit the weights encrypted to a drand round, and the chain reveals
   * them (the value is the runtime's `CommitRevealWeightsVersion`, which commits must carry).
   */
  commitRevealVersion: number;
}

/**
 * Each neuron's weights as the chain stores them (subtensor's `Weights` map): setter uid →
 * [[uid, u16 weight], …]. Under commit-reveal a row holds the last revealed weights.
 */
export type WeightRows = Record<number, [number, number][]>;

/** A miner's commitment and the block it was set at. */
export interface Commitment {
  hotkey: string;
  block: number;
  /** The committed bytes as UTF-8 (the metadata string). */
  data: string;
}

/** A commit-reveal v2 weights commit the chain holds for a hotkey. */
export interface WeightCommit {
  /** 0x-prefixed blake2-256 of the SCALE payload (see commit_reveal.ts). */
  hash: string;
  /** The block that included the commit; the reveal epoch counts from it. */
  block: number;
}

/**
 * The randomness beacon timelocked commits are encrypted to, with the clock that turns blocks
 * into its rounds: drand quicknet and the wall clock on subtensor, a local beacon and the chain's
 * own block clock on the embedded chain.
 */
export interface TimelockBeacon {
  /** G2, compressed (96 bytes). */
  publicKey: Uint8Array;
  /** Unix seconds of round 0's period start, and seconds per round. */
  genesisTime: number;
  periodSeconds: number;
  /** Seconds per block, for turning a reveal block into a round. */
  blockTimeSeconds: number;
  /** Unix seconds now, on the chain's clock. */
  nowSeconds: number;
}

/** Where an extrinsic landed. */
export interface Inclusion {
  block: number;
}

/** A call the chain refused; `error` is the pallet error's name (e.g. "SettingWeightsTooFast"). */
export class ChainRejected extends Error {
  constructor(readonly error: string, message: string) {
    super(`${error}: ${message}`);
    this.name = "ChainRejected";
  }
}

/**
 * The weights of one `set_weights`: the subnet, the uids and their u16 weights, and the version
 * key. The signer travels beside a payload, never inside it: the same payload is submitted,
 * hashed (commit_reveal.ts) or checked (the local chain) for one hotkey at a time.
 */
export interface WeightsPayload {
  netuid: number;
  uids: number[];
  /** u16s, one per uid; the chain max-upscales them (subtensor calls them `values` in a reveal). */
  weights: number[];
  /** At least the subnet's `weightsVersionKey`, or the chain refuses the weights. */
  versionKey: number;
}

/** A commit-reveal v2 reveal, and what its commit hashed: the weights and the salt. */
export interface RevealPayload extends WeightsPayload {
  /** u16s drawn afresh for each commit, so that the hash does not give the weights away. */
  salt: number[];
}

/** A commit-reveal v2 commit: the blake2-256 hash of a `RevealPayload` (commit_reveal.ts: `commitHash`). */
export interface HashCommitPayload {
  netuid: number;
  hash: Uint8Array;
}

/**
 * A timelocked commit: weights encrypted to drand round `revealRound` (see timelock/mod.ts), which
 * the chain decrypts and applies itself once that round's pulse is stored.
 */
export interface TimelockedCommitPayload {
  netuid: number;
  /** The tlock ciphertext of the SCALE `WeightsTlockPayload`. */
  commit: Uint8Array;
  revealRound: number;
  /** The subnet's `commitRevealVersion`; a commit under any other is refused. */
  commitRevealVersion: number;
}

/**
 * The chain operations of the product. Signers are sr25519 keyring pairs (hotkeys). The weights
 * calls all take `(hotkey, payload)`: the payload carries the netuid with the rest of what the
 * extrinsic carries, so that its uids, weights and salt, all `number[]`, are named at every call
 * site instead of told apart by position.
 */
export interface Chain {
  /** "local" or the endpoint. */
  readonly name: string;
  currentBlock(): Promise<number>;
  /** 0x-prefixed 32-byte hash of a block at or before the current one. */
  blockHash(block: number): Promise<string>;
  metagraph(netuid: number): Promise<Metagraph>;
  /** The weights every neuron of the subnet has set (or revealed). */
  weights(netuid: number): Promise<WeightRows>;
  hyperparameters(netuid: number): Promise<SubnetHyperparameters>;
  /**
   * Every commitment on the subnet: each hotkey's latest, as the state stood after block `at`
   * (default: the head). A pseudo-gradient window reads them at its deadline block, since the
   * chain keeps only a hotkey's latest commitment.
   */
  commitments(netuid: number, at?: number): Promise<Commitment[]>;
  commitment(netuid: number, hotkey: string): Promise<Commitment | null>;
  setCommitment(netuid: number, hotkey: KeyringPair, data: string): Promise<Inclusion>;
  /** Burned registration of `hotkey`, paid and signed by `coldkey`; returns the uid. */
  register(netuid: number, hotkey: string, coldkey: KeyringPair): Promise<number>;
  /** Weights set directly (commit-reveal off); they are max-upscaled on chain. */
  setWeights(hotkey: KeyringPair, payload: WeightsPayload): Promise<Inclusion>;
  /** Commit-reveal v2: the hash of the weights to reveal later (see commit_reveal.ts). */
  commitWeights(hotkey: KeyringPair, payload: HashCommitPayload): Promise<Inclusion>;
  /** Commit-reveal v2: the weights and salt of an earlier commit, in that commit's reveal epoch. */
  revealWeights(hotkey: KeyringPair, payload: RevealPayload): Promise<Inclusion>;
  /** The v2 commits the chain holds for a hotkey, oldest first (expired ones included until the chain drops them). */
  weightCommits(netuid: number, hotkey: string): Promise<WeightCommit[]>;
  /** Timelocked commit-reveal: the chain reveals the weights itself (see `TimelockedCommitPayload`). */
  commitTimelockedWeights(hotkey: KeyringPair, payload: TimelockedCommitPayload): Promise<Inclusion>;
  /** The beacon and clock for timelocked commits (see `revealRound` in timelock/drand.ts). */
  timelockBeacon(): Promise<TimelockBeacon>;
  close(): Promise<void>;
}

/** The epoch index of a block, as subtensor counts it: ⌊(block + netuid + 1) / (tempo + 1)⌋. */
export function epochIndex(block: number, netuid: number, tempo: number): number {
  return Math.floor((block + netuid + 1) / (tempo + 1));
}

/**
 * Whether a neuron that last set (or committed) weights at `lastUpdate` must still wait at `block`:
 * subtensor's `check_rate_limit` (a neuron that never set weights, lastUpdate 0, never waits).
 */
export function weightsRateLimited(lastUpdate: number, block: number, weightsRateLimit: number): boolean {
  return lastUpdate !== 0 && block - lastUpdate < weightsRateLimit;
}

/**
 * The epoch in which a weights commit included at `commitBlock` must be revealed: its own epoch
 * plus the subnet's reveal period (subtensor's commit-reveal; later it has expired, earlier it is
 * too early). Timelocked commits are revealed by the chain in the same epoch.
 */
export function revealEpochOf(
  commitBlock: number,
  netuid: number,
  p: { tempo: number; revealPeriodEpochs: number },
): number {
  return epochIndex(commitBlock, netuid, p.tempo) + p.revealPeriodEpochs;
}

/** The first block of epoch `epoch` (subtensor's `get_reveal_blocks`): epoch·(tempo + 1) − (netuid + 1). */
export function firstBlockOfEpoch(epoch: number, netuid: number, tempo: number): number {
  return Math.max(0, epoch * (tempo + 1) - (netuid + 1));
}

/** Whether subtensor runs the subnet's epoch at this block: (block + netuid + 1) mod (tempo + 1) = 0. */
export function isEpochBlock(block: number, netuid: number, tempo: number): boolean {
  return (block + netuid + 1) % (tempo + 1) === 0;
}
