/**
 * Opening the chain a command names: `embedded` (the default) is the local chain in a SQLite
 * file with a 12-second block clock; `finney`, `test`, `local` (a subtensor node on this
 * machine) or a ws:// URL connect to subtensor.
 */
import type { Chain } from "./chain.ts";
import { LocalChain } from "./local/mod.ts";
import { SubtensorChain } from "./subtensor/mod.ts";

/** The embedded network's name. */
export const EMBEDDED = "embedded";
/** Where the embedded chain lives unless told otherwise. */
export const DEFAULT_CHAIN_DB = ".cache/local-chain.sqlite";

/** Opens a chain by network name. */
export async function openChain(
  network: string,
  options: { chainDb?: string; log?: (m: string) => void } = {},
): Promise<Chain> {
  if (network === EMBEDDED) {
    const path = options.chainDb ?? DEFAULT_CHAIN_DB;
    await Deno.mkdir(path.slice(0, Math.max(0, path.lastIndexOf("/"))) || ".", { recursive: true });
    return LocalChain.open(path);
  }
  return await SubtensorChain.connect(network, { log: options.log });
}
