/**
 * The `Chain` over a subtensor node through @polkadot/api. Reads adapt to the runtime's
 * metadata: stake comes from `TotalHotkeyAlpha(hotkey, netuid)` where the runtime has it (dynamic
 * TAO) and from `Stake` otherwise; hyperparameters missing from a runtime fall back to
 * subtensor's defaults; timelocked commit-reveal is used where the runtime has
 * `commit_timelocked_weights` and a drand pallet. Extrinsics are signed by the hotkey (the
 * coldkey for registration) and resolve with their inclusion block, seen in the node's status
 * stream or found in the chain's blocks (./submit.ts); a refusal is a `ChainRejected` named by the
 * pallet error, or by subtensor's custom transaction error when the transaction pool refuses it.
 * Nothing here waits for a rate limit or an epoch.
 */
import { ApiPromise, WsProvider } from "@polkadot/api";
import type { SubmittableExtrinsic } from "@polkadot/api/types";
import type { KeyringPair } from "@polkadot/keyring/types";
import { u8aToHex } from "@polkadot/util";
import { ChainRejected } from "../chain.ts";
import type * as chain from "../chain.ts";
import { QUICKNET } from "../timelock/mod.ts";
import { commitmentInfo, decodeCommitment, decodeWeightCommits } from "./codec.ts";
import { submitExtrinsic } from "./submit.ts";
import { endpointFor } from "./networks.ts";

/** Options for connecting. */
export interface SubtensorOptions {
  /** First reconnect delay; it doubles up to `maxReconnectMs` while the node stays away. */
  reconnectMs?: number;
  maxReconnectMs?: number;
  /** Longest wait for an extrinsic to be included. */
  inclusionTimeoutMs?: number;
  /** Seconds per block, for timelocked reveal rounds (12 on finney). */
  blockTimeSeconds?: number;
  log?: (message: string) => void;
}

// deno-lint-ignore no-explicit-any
type Any = any;

/** A subtensor connection. */
export class SubtensorChain implements chain.Chain {
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
    const opened = new SubtensorChain(url, api, options);
    opened.#stopReconnecting = () => (closing = true);
    return opened;
  }

  async currentBlock(): Promise<number> {
    return (await this.api.rpc.chain.getHeader()).number.toNumber();
  }

  async blockHash(block: number): Promise<string> {
    return (await this.api.rpc.chain.getBlockHash(block)).toHex();
  }

  async metagraph(netuid: number): Promise<chain.Metagraph> {
    const q = this.api.query.subtensorModule as Any;
    const block = await this.currentBlock();
    const keys = await q.keys.entries(netuid);
    const n = keys.length;
    const [permits, lastUpdate, consensus, incentive, dividends, trust, validatorTrust, emission] = await Promise.all(
      ["validatorPermit", "lastUpdate", "consensus", "incentive", "dividends", "trust", "validatorTrust", "emission"]
        .map((s) =>
          q[s]
            ? q[s](netuid).then((v: Any) => v.map((x: Any) => x.toString()) as string[])
            : Promise.resolve(new Array(n).fill("0"))
        ),
    );
    const neurons: chain.Neuron[] = [];
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
        validatorPermit: permits[uid] === "true",
        lastUpdate: Number(lastUpdate[uid] ?? 0),
        blockAtRegistration: Number(registered.toString()),
        consensus: Number(consensus[uid] ?? 0) / 65535,
        incentive: Number(incentive[uid] ?? 0) / 65535,
        dividends: Number(dividends[uid] ?? 0) / 65535,
        trust: Number(trust[uid] ?? 0) / 65535,
        validatorTrust: Number(validatorTrust[uid] ?? 0) / 65535,
        emission: BigInt(String(emission[uid] ?? 0)),
      });
    }
    neurons.sort((a, b) => a.uid - b.uid);
    return { netuid, block, neurons };
  }

  async hyperparameters(netuid: number): Promise<chain.SubnetHyperparameters> {
    const q = this.api.query.subtensorModule as Any;
    const read = async (name: string, fallback: number, ...args: unknown[]) =>
      q[name] ? Number((await q[name](...args)).toString()) : fallback;
    const enabled = q.commitRevealWeightsEnabled ? (await q.commitRevealWeightsEnabled(netuid)).isTrue : false;
    return {
      tempo: await read("tempo", 360, netuid),
      weightsRateLimit: await read("weightsSetRateLimit", 100, netuid),
      weightsVersionKey: await read("weightsVersionKey", 0, netuid),
      commitRevealEnabled: enabled,
      revealPeriodEpochs: await read("revealPeriodEpochs", 1, netuid),
      activityCutoff: await read("activityCutoff", 5000, netuid),
      maxAllowedValidators: await read("maxAllowedValidators", 64, netuid),
      minAllowedWeights: await read("minAllowedWeights", 0, netuid),
      maxWeightLimit: await read("maxWeightsLimit", 65535, netuid),
      commitRevealVersion: this.#timelocked() ? await read("commitRevealWeightsVersion", 4) : 2,
    };
  }

  async weights(netuid: number): Promise<chain.WeightRows> {
    // Keyed (NetUidStorageIndex, uid): a subnet's first mechanism is stored under the netuid itself.
    const entries = await (this.api.query.subtensorModule as Any).weights.entries(netuid);
    const out: chain.WeightRows = {};
    for (const [key, value] of entries) {
      out[Number(key.args[1].toString())] = (value as Any[]).map((
        pair: Any,
      ) => [Number(pair[0].toString()), Number(pair[1].toString())]);
    }
    return out;
  }

  async commitments(netuid: number, at?: number): Promise<chain.Commitment[]> {
    // Storage as it stood at a block: the same query through the API at that block's hash.
    const api = at === undefined ? this.api : await this.api.at(await this.blockHash(at));
    const entries = await (api.query.commitments as Any).commitmentOf.entries(netuid);
    const out: chain.Commitment[] = [];
    for (const [key, value] of entries) {
      const decoded = decodeCommitment(value);
      if (decoded) out.push({ hotkey: key.args[1].toString(), ...decoded });
    }
    return out.sort((a, b) => (a.hotkey < b.hotkey ? -1 : 1));
  }

  async commitment(netuid: number, hotkey: string): Promise<chain.Commitment | null> {
    const decoded = decodeCommitment(await (this.api.query.commitments as Any).commitmentOf(netuid, hotkey));
    return decoded ? { hotkey, ...decoded } : null;
  }

  async setCommitment(netuid: number, hotkey: KeyringPair, data: string): Promise<chain.Inclusion> {
    return await this.#submit((this.api.tx.commitments as Any).setCommitment(netuid, commitmentInfo(data)), hotkey);
  }

  async setWeights(hotkey: KeyringPair, w: chain.WeightsPayload): Promise<chain.Inclusion> {
    return await this.#call(hotkey, "setWeights", w.netuid, w.uids, w.weights, w.versionKey);
  }

  async commitWeights(hotkey: KeyringPair, c: chain.HashCommitPayload): Promise<chain.Inclusion> {
    return await this.#call(hotkey, "commitWeights", c.netuid, u8aToHex(c.hash));
  }

  async revealWeights(hotkey: KeyringPair, r: chain.RevealPayload): Promise<chain.Inclusion> {
    return await this.#call(hotkey, "revealWeights", r.netuid, r.uids, r.weights, r.salt, r.versionKey);
  }

  async weightCommits(netuid: number, hotkey: string): Promise<chain.WeightCommit[]> {
    const q = this.api.query.subtensorModule as Any;
    return q.weightCommits ? decodeWeightCommits(await q.weightCommits(netuid, hotkey)) : [];
  }

  async commitTimelockedWeights(hotkey: KeyringPair, t: chain.TimelockedCommitPayload): Promise<chain.Inclusion> {
    if (!this.#timelocked()) {
      throw new ChainRejected(
        "CallUnavailable",
        `runtime ${this.api.runtimeVersion.specVersion} has no timelocked commit-reveal`,
      );
    }
    return await this.#call(
      hotkey,
      "commitTimelockedWeights",
      t.netuid,
      u8aToHex(t.commit),
      t.revealRound,
      t.commitRevealVersion,
    );
  }

  timelockBeacon(): Promise<chain.TimelockBeacon> {
    return Promise.resolve({
      publicKey: QUICKNET.publicKey,
      genesisTime: QUICKNET.genesisTime,
      periodSeconds: QUICKNET.periodSeconds,
      blockTimeSeconds: this.options.blockTimeSeconds ?? 12,
      nowSeconds: Date.now() / 1000,
    });
  }

  async close(): Promise<void> {
    this.#stopReconnecting();
    await this.api.disconnect();
  }

  /** Burned registration of `hotkey` on a subnet, paid and signed by the coldkey; returns the uid. */
  async register(netuid: number, hotkey: string, coldkey: KeyringPair): Promise<number> {
    await this.#call(coldkey, "burnedRegister", netuid, hotkey);
    const uid = await (this.api.query.subtensorModule as Any).uids(netuid, hotkey);
    if (uid.isNone) {
      throw new ChainRejected("HotKeyNotRegisteredInSubNet", `${hotkey} was not registered on subnet ${netuid}`);
    }
    return uid.unwrap().toNumber();
  }

  async #stake(hotkey: string, netuid: number): Promise<bigint> {
    const q = this.api.query.subtensorModule as Any;
    if (q.totalHotkeyAlpha) return BigInt((await q.totalHotkeyAlpha(hotkey, netuid)).toString());
    if (q.totalHotkeyStake) return BigInt((await q.totalHotkeyStake(hotkey)).toString());
    return 0n;
  }

  /** Whether the runtime takes timelocked weights commits (the call and a drand pallet to reveal them). */
  #timelocked(): boolean {
    return Boolean((this.api.tx.subtensorModule as Any).commitTimelockedWeights && (this.api.query as Any).drand);
  }

  /**
   * Submits `subtensorModule.<method>(...args)` signed by `signer`. The arguments are the pallet
   * call's, in its order: this is the one place a payload's fields become positions again.
   */
  #call(signer: KeyringPair, method: string, ...args: unknown[]): Promise<chain.Inclusion> {
    return this.#submit((this.api.tx.subtensorModule as Any)[method](...args), signer);
  }

  /** Signs, submits and follows the extrinsic to its outcome (./submit.ts). */
  #submit(tx: SubmittableExtrinsic<"promise">, signer: KeyringPair): Promise<chain.Inclusion> {
    return submitExtrinsic(this.api, tx, signer, { timeoutMs: this.options.inclusionTimeoutMs ?? 120_000 });
  }
}
