/**
 * Opening a network by name: the one place that decides which chain, model store, datasets
 * source, schedule, default key and subnet setup a command gets. Every task goes through it, so
 * the embedded network and a real one differ only here.
 *
 *                 embedded (default)                 finney / test / local / ws://…
 *   chain         LocalChain in --chain-db           SubtensorChain (--netuid required)
 *   model store   LocalModelStore in --store-dir     the Hub (HF_ENDPOINT, token); HF cache only
 *                                                    with HF_HUB_OFFLINE or --offline
 *   datasets      the bundled pages, in process      --datasets-server, else SN9_DATASETS_SERVER,
 *                                                    else the public datasets-server
 *                                                    (--offline: the bundled pages)
 *   schedule      local                              finney (--schedule overrides either)
 *   model cache   {cache}/hub                        the HF hub cache (HF_HUB_CACHE, HF_HOME…)
 *   hotkey        SN9_HOTKEY_URI, else the wallet    SN9_HOTKEY_URI, else the wallet
 *                 named by flags, else //Alice
 *                 (validator) or //Bob (miner)
 *   subnet        created, the key registered and    checked: the key must be registered
 *                 (validator) staked on first use
 */
import { join } from "node:path";
import type { KeyringPair } from "@polkadot/keyring/types";
import {
  type Chain,
  defaultWalletPath,
  devKey,
  loadHotkey,
  LocalChain,
  NETWORKS,
  SubtensorChain,
} from "../chain/mod.ts";
import { BUNDLED_SCHEDULES, loadSchedule, type Schedule } from "../competitions/mod.ts";
import {
  DatasetsServerClient,
  DEFAULT_DATASETS_SERVER,
  PageCache,
  type RunningDatasetsServer,
  startDatasetsServer,
} from "../data/mod.ts";
import {
  type EnvLookup,
  HfCacheStore,
  hfHubCache,
  HfModelStore,
  hfOffline,
  hfToken,
  LocalModelStore,
  type ModelStore,
  tokenizerResolver,
} from "../hub/mod.ts";

/** The embedded network's name. */
export const EMBEDDED = "embedded";

/** Where the embedded network keeps its files unless told otherwise. */
export const EMBEDDED_DEFAULTS = {
  chainDb: ".cache/local-chain.sqlite",
  storeDir: ".cache/local-store",
  netuid: 1,
} as const;

/** The subnet the embedded network creates on first use. */
export const EMBEDDED_SUBNET = { tempo: 100, weightsRateLimit: 20 } as const;

/** Who is opening the network: decides the embedded network's default dev key. */
export type Role = "validator" | "miner";

/** What a command asks for. */
export interface NetworkOptions {
  /** `embedded`, `finney`, `test`, `local`, or a ws:// / wss:// URL. */
  network: string;
  /** Required on a real network. */
  netuid?: number;
  cacheDir: string;
  chainDb?: string;
  storeDir?: string;
  /** `hf` or `local` (default: local on the embedded network, hf elsewhere). */
  modelStore?: "hf" | "local";
  /** A datasets-server URL, or `bundled` for the bundled pages. */
  datasetsServer?: string;
  /** Bundled pages and the HF cache only: nothing from the network but the chain. */
  offline?: boolean;
  /** `local`, `finney`, or a schedule file. */
  schedule?: string;
  /** The wallet `hotkey` signs with when none is given to it (the command line's wallet flags). */
  wallet?: WalletOptions;
  env?: EnvLookup;
  log?: (line: string) => void;
}

/** Wallet flags, as btcli names them. */
export interface WalletOptions {
  name?: string;
  hotkey?: string;
  path?: string;
}

/** An opened network. */
export interface Network {
  name: string;
  embedded: boolean;
  netuid: number;
  chain: Chain;
  store: ModelStore;
  datasets: DatasetsServerClient;
  /** Where the datasets come from, for messages ("bundled pages" or the URL). */
  datasetsSource: string;
  schedule: Schedule;
  /** The Hugging Face-layout cache models are downloaded into. */
  modelCacheDir: string;
  /** For `loadTokenizer`: a tokenizer repo id → its files through the model store. */
  resolveTokenizer: (repo: string) => Promise<string>;
  /** The signing hotkey: SN9_HOTKEY_URI, the wallet named by flags, or the embedded network's dev key. */
  hotkey(role: Role, wallet?: WalletOptions): Promise<KeyringPair>;
  /**
   * Makes sure `hotkey` can act on the subnet: on the embedded network (whose subnet exists once
   * opened) the key is registered (and staked, for a validator) when new; on a real network a key that is
   * not registered is an error saying so.
   */
  prepareSubnet(hotkey: KeyringPair, role: Role): Promise<void>;
  close(): Promise<void>;
}

/**
 * The rules of a network choice, for the library and the command line alike: a known name or a
 * ws:// URL, and a subnet named on any real network. Throws `RangeError`.
 */
export function checkNetworkChoice(network: string, netuid: number | undefined): void {
  const names = [EMBEDDED, ...Object.keys(NETWORKS)];
  if (!names.includes(network) && !/^wss?:\/\/\S+$/.test(network)) {
    throw new RangeError(
      `--network must be one of ${names.join(", ")} or a ws:// URL (got ${JSON.stringify(network).slice(0, 60)})`,
    );
  }
  if (network !== EMBEDDED && netuid === undefined) {
    throw new RangeError(`--netuid is required on ${network} (the subnet to act on; SN9 is 9 on finney)`);
  }
}

/** Where models come from and the cache they are downloaded into. */
export interface ModelStoreOptions {
  /** `local`: a directory of repos (the embedded network's); `hf`: the Hub, or only its cache when offline. */
  kind: "hf" | "local";
  storeDir?: string;
  cacheDir: string;
  offline?: boolean;
  env: EnvLookup;
  log?: (line: string) => void;
}

/** The model store and cache the options name (the validator's and a queue worker's alike). */
export async function openModelStore(o: ModelStoreOptions): Promise<{ store: ModelStore; modelCacheDir: string }> {
  const modelCacheDir = o.kind === "local" ? join(o.cacheDir, "hub") : hfHubCache(o.env);
  const store: ModelStore = o.kind === "local"
    ? new LocalModelStore(o.storeDir ?? EMBEDDED_DEFAULTS.storeDir)
    : o.offline
    ? new HfCacheStore(modelCacheDir)
    : new HfModelStore({ accessToken: await hfToken(o.env), retry: { log: o.log } });
  return { store, modelCacheDir };
}

/** Opens `o.network`. */
export async function openNetwork(o: NetworkOptions): Promise<Network> {
  checkNetworkChoice(o.network, o.netuid);
  const env = o.env ?? ((name: string) => Deno.env.get(name));
  const embedded = o.network === EMBEDDED;
  const netuid = o.netuid ?? EMBEDDED_DEFAULTS.netuid;
  const offline = o.offline || (!embedded && hfOffline(env));
  const schedule = await loadSchedule(scheduleSource(o.schedule ?? (embedded ? "local" : "finney")));

  let chain: Chain;
  if (embedded) {
    const path = o.chainDb ?? EMBEDDED_DEFAULTS.chainDb;
    await Deno.mkdir(join(path, ".."), { recursive: true });
    const local = LocalChain.open(path);
    // The embedded network's subnet exists from its first use, whatever task opens it first.
    if (!(await local.hyperparameters(netuid).catch(() => null))) {
      o.log?.(`embedded chain: creating subnet ${netuid}`);
      local.createSubnet(netuid, EMBEDDED_SUBNET);
    }
    chain = local;
  } else {
    chain = await SubtensorChain.connect(o.network, { log: o.log });
  }

  const { store, modelCacheDir } = await openModelStore({
    kind: o.modelStore ?? (embedded ? "local" : "hf"),
    storeDir: o.storeDir,
    cacheDir: o.cacheDir,
    offline,
    env,
    log: o.log,
  });

  const wanted = o.datasetsServer ??
    (embedded || offline ? "bundled" : env("SN9_DATASETS_SERVER") ?? DEFAULT_DATASETS_SERVER);
  let bundled: RunningDatasetsServer | undefined;
  if (wanted === "bundled") bundled = await startDatasetsServer();
  else if (!/^https?:\/\//.test(wanted)) {
    throw new TypeError(`the datasets server must be an http(s) URL or "bundled", got ${JSON.stringify(wanted)}`);
  }
  const datasets = new DatasetsServerClient({
    baseUrl: bundled?.url ?? wanted,
    token: bundled ? undefined : await hfToken(env),
    retry: { log: o.log },
    cache: new PageCache(join(o.cacheDir, "pages", bundled ? "bundled" : new URL(wanted).host)),
  });

  return {
    name: chain.name,
    embedded,
    netuid,
    chain,
    store,
    datasets,
    datasetsSource: bundled ? "the bundled pages" : wanted,
    schedule,
    modelCacheDir,
    resolveTokenizer: tokenizerResolver(store, modelCacheDir),
    hotkey(role, wallet = o.wallet ?? {}) {
      const fromFlags = wallet.name !== undefined || wallet.hotkey !== undefined || wallet.path !== undefined;
      if (embedded && !env("SN9_HOTKEY_URI") && !fromFlags) return devKey(role === "validator" ? "Alice" : "Bob");
      return loadHotkey({
        wallet: wallet.name ?? "default",
        hotkey: wallet.hotkey ?? "default",
        root: wallet.path ?? defaultWalletPath(),
      });
    },
    async prepareSubnet(hotkey, role) {
      if (chain instanceof LocalChain) {
        const registered = (await chain.metagraph(netuid)).neurons.some((n) => n.hotkey === hotkey.address);
        if (!registered) {
          const uid = await chain.register(netuid, hotkey.address, hotkey);
          o.log?.(`embedded chain: registered ${hotkey.address} as uid ${uid}`);
          if (role === "validator") chain.addStake(hotkey.address, 1_000_000_000_000n);
        }
        return;
      }
      const registered = (await chain.metagraph(netuid)).neurons.some((n) => n.hotkey === hotkey.address);
      if (!registered) {
        throw new TypeError(
          `hotkey ${hotkey.address} is not registered on subnet ${netuid} of ${chain.name}; register it first (btcli subnet register)`,
        );
      }
    },
    async close() {
      await chain.close();
      await bundled?.close();
    },
  };
}

/** A schedule name (`local`, `finney`) or file path → what `loadSchedule` reads. */
export function scheduleSource(name: string): string | URL {
  return name in BUNDLED_SCHEDULES ? BUNDLED_SCHEDULES[name as keyof typeof BUNDLED_SCHEDULES] : name;
}
