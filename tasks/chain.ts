/**
 * `deno task chain <command> [--network embedded|finney|test|local|ws://…] [--netuid N] [--json]`
 * for operators:
 *   metagraph                      the subnet's neurons
 *   commitments                    every commitment with its block
 *   commit --data <string>         set the wallet hotkey's commitment
 *   set-weights --uids 1,2 --weights 100,50 [--version-key N]
 *   register                       embedded: register the wallet hotkey (creating the subnet if
 *                                  needed); subtensor: burned registration paid by the coldkey in
 *                                  SN9_COLDKEY_URI
 * Keys: --wallet.name / --wallet.hotkey (Bittensor wallet files) or SN9_HOTKEY_URI.
 */
import { parseArgs } from "node:util";
import {
  ChainRejected,
  DEFAULT_CHAIN_DB,
  EMBEDDED,
  keyFromUri,
  loadHotkey,
  LocalChain,
  openChain,
} from "../src/mod.ts";

const COMMANDS = ["metagraph", "commitments", "commit", "set-weights", "register"];
const { values: f, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    network: { type: "string", default: EMBEDDED },
    netuid: { type: "string", default: "1" },
    "chain-db": { type: "string", default: DEFAULT_CHAIN_DB },
    "wallet.name": { type: "string", default: "default" },
    "wallet.hotkey": { type: "string", default: "default" },
    data: { type: "string" },
    uids: { type: "string" },
    weights: { type: "string" },
    "version-key": { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const command = positionals[0];
if (!COMMANDS.includes(command)) {
  console.error(`chain: give one of ${COMMANDS.join(", ")}`);
  Deno.exit(2);
}
const netuid = Number(f.netuid);
const hotkey = () => loadHotkey({ wallet: f["wallet.name"]!, hotkey: f["wallet.hotkey"]! });
const list = (s: string | undefined, what: string) => {
  const xs = (s ?? "").split(",").filter(Boolean).map(Number);
  if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < 0)) {
    throw new RangeError(`--${what} must be a comma-separated list of non-negative integers`);
  }
  return xs;
};

const chain = await openChain(f.network!, { chainDb: f["chain-db"], log: (m) => console.error(m) });
try {
  if (command === "metagraph") {
    const m = await chain.metagraph(netuid);
    if (f.json) console.log(JSON.stringify(m, (_, v) => (typeof v === "bigint" ? v.toString() : v)));
    else {
      console.log(`subnet ${netuid} at block ${m.block} on ${chain.name}: ${m.neurons.length} neurons`);
      console.log(
        " uid  hotkey                                             stake(rao)  permit  incentive  dividends   emission  last update",
      );
      for (const n of m.neurons) {
        console.log(
          `${String(n.uid).padStart(4)}  ${n.hotkey.padEnd(48)} ${String(n.stake).padStart(12)}  ${
            n.validatorPermit ? "yes" : " no"
          }  ` +
            `${n.incentive.toFixed(4).padStart(9)}  ${n.dividends.toFixed(4).padStart(9)}  ${
              String(n.emission).padStart(9)
            }  ${n.lastUpdate}`,
        );
      }
    }
  } else if (command === "commitments") {
    const cs = await chain.commitments(netuid);
    if (f.json) console.log(JSON.stringify(cs));
    else for (const c of cs) console.log(`${c.hotkey}  block ${c.block}  ${c.data}`);
  } else if (command === "commit") {
    if (!f.data) throw new TypeError("commit needs --data <string>");
    const key = await hotkey();
    await chain.setCommitment(netuid, key, f.data);
    const back = await chain.commitment(netuid, key.address);
    console.log(f.json ? JSON.stringify(back) : `committed at block ${back?.block}: ${back?.data}`);
  } else if (command === "set-weights") {
    const uids = list(f.uids, "uids"), weights = list(f.weights, "weights");
    const version = f["version-key"] !== undefined
      ? Number(f["version-key"])
      : (await chain.hyperparameters(netuid)).weightsVersionKey;
    const { block } = await chain.setWeights(netuid, await hotkey(), uids, weights, version);
    console.log(f.json ? JSON.stringify({ ok: true, block }) : `weights set at block ${block}`);
  } else {
    const key = await hotkey();
    if (chain instanceof LocalChain && !(await chain.hyperparameters(netuid).catch(() => null))) {
      chain.createSubnet(netuid);
    }
    const coldUri = Deno.env.get("SN9_COLDKEY_URI");
    if (!coldUri && !(chain instanceof LocalChain)) {
      throw new TypeError("registration on subtensor is paid by a coldkey: set SN9_COLDKEY_URI");
    }
    const uid = await chain.register(netuid, key.address, coldUri ? await keyFromUri(coldUri) : key);
    console.log(f.json ? JSON.stringify({ uid }) : `registered ${key.address} as uid ${uid} on subnet ${netuid}`);
  }
} catch (e) {
  console.error(`chain: ${e instanceof ChainRejected ? `refused by the chain: ${e.message}` : (e as Error).message}`);
  Deno.exitCode = 1;
} finally {
  await chain.close();
}
