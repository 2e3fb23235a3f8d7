/**
 * The `Chain` over a subtensor node through @polkadot/api. Reads adapt to the runtime's
 * metadata: stake comes from `TotalHotkeyAlpha(hotkey, netuid)` where the runtime has it (dynamic
 * TAO) and from `Stake` otherwise; hyperparameters missing from a runtime fall back to
 * subtensor's defaults. Extrinsics are signed by the hotkey; a failed one is a `ChainRejected`
 * named by its pallet error. set_weights waits out the weights rate limit rather than submit a
 * call the chain would refuse. Timelocked (drand) commit-reveal is detected and refused.
 */
import { ApiPromise, WsProvider } from "@polkadot/api";
import type { SubmittableExtrinsic } from "@polkadot/api/types";
import type { KeyringPair } from "@polkadot/keyring/types";
import { u8aToHex } from "@polkadot/util";
import {
  type Chain,
  ChainRejected,
  type Commitment,
  type Metagraph,
  type Neuron,
  type SubnetHyperparameters,
} from "../chain.ts";
import { commitmentInfo, decodeCommitment, dispatchErrorName } from "./codec.ts";
import { endpointFor } from "./networks.ts";

/** Options for connecting. */
export interface SubtensorOptions {
  /** First reconnect delay; it doubles up to `maxReconnectMs` while the node stays away. */
  reconnectMs?: number;
  maxReconnectMs?: number;
  /** Longest wait for an extrinsic to be included. */
  inclusionTimeoutMs?: number;
  log?: (message: string) => void;
}

// deno-lint-ignore no-explicit-any
type Any = any;

/** A subtensor connection. */
export class SubtensorChain implements Chain {
  #stopReconnecting = () => {};

  private constructor(readonly name: string, readonly api: ApiPromise, readonly options: SubtensorOptions) {}

  /** Connects to a network name (finney, test, local) or a ws:// URL. */
  static async connect(network: string, options: SubtensorOptions = {}): Promise<SubtensorChain> {
    const url = endpointFor(network);
    // The provider's own auto-connect retries at a fixed interval; reconnect here with backoff.
    const provider = new WsProvider(url, false);
    let api: ApiPromise;
    try {
      await provider.connect();
      api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });
    } catch (e) {
      await provider.disconnect().catch(() => {});
      // Connection failures arrive as DOM ErrorEvents; give callers an Error that names the endpoint.
      throw new Error(`cannot connect to subtensor at ${url}: ${(e as { message?: string }).message ?? String(e)}`);
    }
    const first = options.reconnectMs ?? 1_000, max = options.maxReconnectMs ?? 60_000;
    let delay = first, closing = false;
    const reconnect = () => {
      if (closing) return;
      options.log?.(`subtensor ${url}: disconnected, reconnecting in ${delay} ms`);
      setTimeout(() => provider.connect().then(() => (delay = first)).catch(() => reconnect()), delay);
      delay = Math.min(max, delay * 2);
    };
    provider.on("disconnected", reconnect);
    const chain = new SubtensorChain(url, api, options);
    chain.#stopReconnecting = () => (closing = true);
    return chain;
  }

  async currentBlock(): Promise<number> {
    return (await this.api.rpc.chain.getHeader()).number.toNumber();
  }

  async blockHash(block: number): Promise<string> {
    return (await this.api.rpc.chain.getBlockHash(block)).toHex();
  }

  async metagraph(netuid: number): Promise<Metagraph> {
    const q = this.api.query.subtensorModule as Any;
    const block = await this.currentBlock();
    const keys = await q.keys.entries(netuid);
    const n = keys.length;
    const [permits, lastUpdate, consensus, incentive, dividends, trust, validatorTrust, emission] = await Promise.all(
      ["validatorPermit", "lastUpdate", "consensus", "incentive", "dividends", "trust", "validatorTrust", "emission"]
        .map((s) =>
          q[s] ? q[s](netuid).then((v: Any) => v.toJSON() as number[]) : Promise.resolve(new Array(n).fill(0))
        ),
    );
    const neurons: Neuron[] = [];
    for (const [key, value] of keys) {
      const uid = Number(key.args[1].toString());
      const hotkey = value.toString();
      const [owner, registered, stake] = await Promise.all([
        q.owner(hotkey),
        q.blockAtRegistration(netuid, uid),
        this.#stake(hotkey, netuid),
      ]);
      neurons.push({
        uid,
        hotkey,
        coldkey: owner.toString(),
        stake,
        validatorPermit: Boolean(permits[uid]),
        lastUpdate: Number(lastUpdate[uid] ?? 0),
        blockAtRegistration: Number(registered.toString()),
        consensus: Number(consensus[uid] ?? 0) / 65535,
        incentive: Number(incentive[uid] ?? 0) / 65535,
        dividends: Number(dividends[uid] ?? 0) / 65535,
        trust: Number(trust[uid] ?? 0) / 65535,
        validatorTrust: Number(validatorTrust[uid] ?? 0) / 65535,
        emission: Number(emission[uid] ?? 0),
      });
    }
    neurons.sort((a, b) => a.uid - b.uid);
    return { netuid, block, neurons };
  }

  async hyperparameters(netuid: number): Promise<SubnetHyperparameters> {
    const q = this.api.query.subtensorModule as Any;
    const read = async (
      name: string,
      fallback: number,
    ) => (q[name] ? Number((await q[name](netuid)).toString()) : fallback);
    const enabled = q.commitRevealWeightsEnabled ? (await q.commitRevealWeightsEnabled(netuid)).isTrue : false;
    return {
      tempo: await read("tempo", 360),
      weightsRateLimit: await read("weightsSetRateLimit", 100),
      weightsVersionKey: await read("weightsVersionKey", 0),
      commitRevealEnabled: enabled,
      revealPeriodEpochs: await read("revealPeriodEpochs", 1),
      activityCutoff: await read("activityCutoff", 5000),
      maxAllowedValidators: await read("maxAllowedValidators", 64),
    };
  }

  async commitments(netuid: number): Promise<Commitment[]> {
    const entries = await (this.api.query.commitments as Any).commitmentOf.entries(netuid);
    const out: Commitment[] = [];
    for (const [key, value] of entries) {
      const decoded = decodeCommitment(value);
      if (decoded) out.push({ hotkey: key.args[1].toString(), ...decoded });
    }
    return out.sort((a, b) => (a.hotkey < b.hotkey ? -1 : 1));
  }

  async commitment(netuid: number, hotkey: string): Promise<Commitment | null> {
    const decoded = decodeCommitment(await (this.api.query.commitments as Any).commitmentOf(netuid, hotkey));
    return decoded ? { hotkey, ...decoded } : null;
  }

  async setCommitment(netuid: number, hotkey: KeyringPair, data: string): Promise<void> {
    await this.#submit((this.api.tx.commitments as Any).setCommitment(netuid, commitmentInfo(data)), hotkey);
  }

  async setWeights(
    netuid: number,
    hotkey: KeyringPair,
    uids: number[],
    weights: number[],
    versionKey: number,
  ): Promise<void> {
    const params = await this.hyperparameters(netuid);
    if (params.commitRevealEnabled) {
      throw new ChainRejected("CommitRevealEnabled", `subnet ${netuid} takes weights by commit-reveal`);
    }
    await this.#waitForRateLimit(netuid, hotkey.address, params.weightsRateLimit);
    await this.#submit((this.api.tx.subtensorModule as Any).setWeights(netuid, uids, weights, versionKey), hotkey);
  }

  async commitWeights(netuid: number, hotkey: KeyringPair, hash: Uint8Array): Promise<void> {
    await this.#refuseTimelocked(netuid);
    await this.#submit((this.api.tx.subtensorModule as Any).commitWeights(netuid, u8aToHex(hash)), hotkey);
  }

  async revealWeights(
    netuid: number,
    hotkey: KeyringPair,
    uids: number[],
    weights: number[],
    salt: number[],
    versionKey: number,
  ): Promise<void> {
    await this.#refuseTimelocked(netuid);
    await this.#submit(
      (this.api.tx.subtensorModule as Any).revealWeights(netuid, uids, weights, salt, versionKey),
      hotkey,
    );
  }

  async close(): Promise<void> {
    this.#stopReconnecting();
    await this.api.disconnect();
  }

  /** Burned registration of `hotkey` on a subnet, paid and signed by the coldkey. */
  async register(netuid: number, coldkey: KeyringPair, hotkey: string): Promise<void> {
    await this.#submit((this.api.tx.subtensorModule as Any).burnedRegister(netuid, hotkey), coldkey);
  }

  async #stake(hotkey: string, netuid: number): Promise<number> {
    const q = this.api.query.subtensorModule as Any;
    if (q.totalHotkeyAlpha) return Number((await q.totalHotkeyAlpha(hotkey, netuid)).toString());
    if (q.totalHotkeyStake) return Number((await q.totalHotkeyStake(hotkey)).toString());
    return 0;
  }

  async #refuseTimelocked(netuid: number): Promise<void> {
    const q = this.api.query.subtensorModule as Any;
    const version = q.commitRevealWeightsVersion ? Number((await q.commitRevealWeightsVersion()).toString()) : 2;
    if (version >= 3) {
      throw new ChainRejected(
        "IncorrectCommitRevealVersion",
        `subnet ${netuid} uses timelocked (drand) commit-reveal v${version}; it needs weights encrypted to a future drand round, which this client does not implement`,
      );
    }
  }

  /** Waits (block by block) until `weightsRateLimit` blocks have passed since the hotkey's last update. */
  async #waitForRateLimit(netuid: number, hotkey: string, rateLimit: number): Promise<void> {
    const q = this.api.query.subtensorModule as Any;
    const uid = await q.uids(netuid, hotkey);
    if (uid.isNone) throw new ChainRejected("HotKeyNotRegisteredInSubNet", `${hotkey} on subnet ${netuid}`);
    const last = Number(((await q.lastUpdate(netuid)).toJSON() as number[])[uid.unwrap().toNumber()] ?? 0);
    let block = await this.currentBlock();
    while (block - last < rateLimit) {
      this.options.log?.(`weights rate limit: waiting for block ${last + rateLimit} (now ${block})`);
      await new Promise<void>((resolve) => {
        const unsub = this.api.rpc.chain.subscribeNewHeads((h) => {
          if (h.number.toNumber() > block) {
            block = h.number.toNumber();
            unsub.then((u) => u());
            resolve();
          }
        });
      });
    }
  }

  /** Signs, submits and waits for inclusion; a dispatch error becomes `ChainRejected(name)`. */
  #submit(tx: SubmittableExtrinsic<"promise">, signer: KeyringPair): Promise<void> {
    const timeout = this.options.inclusionTimeoutMs ?? 120_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`extrinsic not included within ${timeout} ms`)), timeout);
      tx.signAndSend(signer, (result) => {
        if (result.dispatchError) {
          clearTimeout(timer);
          const name = dispatchErrorName(this.api.registry, result.dispatchError as Any);
          reject(new ChainRejected(name, `${tx.method.section}.${tx.method.method} failed`));
        } else if (result.status.isInBlock || result.status.isFinalized) {
          clearTimeout(timer);
          resolve();
        } else if (result.status.isInvalid || result.status.isDropped || result.status.isUsurped) {
          clearTimeout(timer);
          reject(new Error(`${tx.method.section}.${tx.method.method}: ${result.status.type}`));
        }
      }).catch((e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }
}
