/**
 * The network and wallet flags every chain-facing task shares, under btcli's names too
 * (`--subtensor.network`, `--subtensor.chain_endpoint`, `--wallet.name`, `--wallet.hotkey`,
 * `--wallet.path`, `--netuid`), and the one call that opens the network they name.
 */
import { checkNetworkChoice, EMBEDDED, EMBEDDED_DEFAULTS, type Network, openNetwork } from "../../src/mod.ts";
import type { Values } from "./command.ts";
import { flags, UsageError } from "./flag.ts";

/** The flags. */
export const networkFlags = {
  network: flags.string("embedded, finney, test, local (a node on this machine), or a ws:// URL", {
    default: EMBEDDED,
    placeholder: "<name|url>",
    aliases: ["subtensor.network", "subtensor.chain_endpoint"],
  }),
  netuid: {
    ...flags.int("the subnet (required on a real network)", { defaultText: "1 on embedded" }),
    relate: (v: Record<string, unknown>) => checkNetworkFlags(v as { network: string; netuid?: number }),
  },
  "chain-db": flags.path("the embedded chain's SQLite file", { default: EMBEDDED_DEFAULTS.chainDb }),
  "store-dir": flags.path("the embedded model store", { default: EMBEDDED_DEFAULTS.storeDir }),
  "model-store": flags.choice("where models live", ["hf", "local"] as const, {}),
  "datasets-server": flags.string("the datasets-server URL, or bundled (also SN9_DATASETS_SERVER)", {
    placeholder: "<url|bundled>",
    defaultText: "bundled on embedded, else https://datasets-server.huggingface.co",
  }),
  offline: flags.boolean("bundled pages and the Hugging Face cache only"),
  schedule: flags.string("local, finney or a schedule file", {
    placeholder: "<name|file>",
    defaultText: "local on embedded, finney elsewhere",
  }),
  "cache-dir": flags.path("pages, tokenizers and the embedded model cache", { default: ".cache" }),
  "wallet.name": flags.string("wallet name under --wallet.path", { defaultText: "default" }),
  "wallet.hotkey": flags.string("hotkey name in the wallet", { defaultText: "default" }),
  "wallet.path": flags.path("wallets directory", { defaultText: "~/.bittensor/wallets" }),
};

/** The shared flags' values. */
export type NetworkFlagValues = Values<typeof networkFlags>;

/** The network flags' combination (a known network, a subnet named on a real one). Throws `UsageError`. */
function checkNetworkFlags(f: { network: string; netuid?: number }): void {
  try {
    checkNetworkChoice(f.network, f.netuid);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Opens the network the flags name (their combination was checked as they were parsed). */
export async function openNetworkFromFlags(f: NetworkFlagValues, log?: (line: string) => void): Promise<Network> {
  return await openNetwork({
    network: f.network,
    netuid: f.netuid,
    cacheDir: f["cache-dir"],
    chainDb: f["chain-db"],
    storeDir: f["store-dir"],
    modelStore: f["model-store"],
    datasetsServer: f["datasets-server"],
    offline: f.offline,
    schedule: f.schedule,
    wallet: { name: f["wallet.name"], hotkey: f["wallet.hotkey"], path: f["wallet.path"] },
    log,
  });
}
