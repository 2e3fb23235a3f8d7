/**
 * `deno task chain <command>`: chain operations for operators, on the network the flags name.
 *   metagraph          the subnet's neurons: stake and emission in τ, trust, consensus, incentive, dividends
 *   commitments        every commitment with its block and the uid of its hotkey
 *   commit             set the hotkey's commitment (--data)
 *   set-weights        set weights directly (--uids, --weights, optional --version-key)
 *   register           register the hotkey (burned registration; the coldkey in SN9_COLDKEY_URI
 *                      pays on subtensor; the embedded chain creates the subnet when new)
 */
import { formatReason } from "../eval/mod.ts";
import { keyFromUri } from "../src/mod.ts";
import { defineCommand, flags, main, networkFlags, openNetworkFromFlags, UsageError } from "./cli/mod.ts";
import { commitmentsTable, commitmentsWithUids, metagraphTable } from "./chain/tables.ts";

const COMMANDS = ["metagraph", "commitments", "commit", "set-weights", "register"] as const;
const json = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x));

export const command = defineCommand({
  name: "chain",
  summary: "Reads and writes the chain: the metagraph, commitments, weights and registration.",
  positionals: { usage: `<${COMMANDS.join("|")}>`, choices: COMMANDS, min: 1, max: 1 },
  flags: {
    ...networkFlags,
    data: flags.string("the commitment to set (commit)", { placeholder: "<string>" }),
    uids: flags.ints("uids to weigh (set-weights)"),
    weights: flags.ints("u16 weights, one per uid (set-weights)"),
    "version-key": flags.int("weights version key (set-weights; default: the subnet's)"),
    json: flags.boolean("print JSON"),
  },
  notes: ["Keys: SN9_HOTKEY_URI, or the wallet flags; SN9_COLDKEY_URI pays registration on subtensor."],
  examples: [
    "deno task chain metagraph",
    "deno task chain metagraph --chain-db .cache/demo-run/chain.sqlite",
    { line: "deno task chain commitments --network finney --netuid 9 --json", checkOnly: "needs the real network" },
    "deno task chain set-weights --chain-db .cache/demo-run/chain.sqlite --uids 1,2 --weights 65535,32768",
  ],
  check({ flags: f, positionals: [command] }) {
    if (command === "commit" && !f.data) throw new UsageError("commit needs --data <string>");
    if (command === "set-weights" && (!f.uids || !f.weights)) {
      throw new UsageError("set-weights needs --uids and --weights");
    }
    if (command === "set-weights" && f.uids!.length !== f.weights!.length) {
      throw new UsageError("--uids and --weights must have the same length");
    }
    if (f.weights?.some((w) => w > 65535)) throw new UsageError("--weights are u16 values (0–65535)");
  },
  async run({ flags: f, positionals: [command] }) {
    const network = await openNetworkFromFlags(f, (m) => console.error(m));
    const { chain, netuid } = network;
    try {
      if (command === "metagraph") {
        const m = await chain.metagraph(netuid);
        if (f.json) return void console.log(json(m));
        for (const line of metagraphTable(m)) console.log(line);
      } else if (command === "commitments") {
        const rows = commitmentsWithUids(await chain.commitments(netuid), await chain.metagraph(netuid));
        if (f.json) console.log(json(rows));
        else for (const line of commitmentsTable(rows)) console.log(line);
      } else if (command === "commit") {
        const key = await network.hotkey("miner");
        const { block } = await chain.setCommitment(netuid, key, f.data!);
        const back = await chain.commitment(netuid, key.address);
        console.log(f.json ? json(back) : `committed at block ${block}: ${formatReason(back?.data ?? "")}`);
      } else if (command === "set-weights") {
        const version = f["version-key"] ?? (await chain.hyperparameters(netuid)).weightsVersionKey;
        const key = await network.hotkey("validator");
        const { block } = await chain.setWeights(key, {
          netuid,
          uids: f.uids!,
          weights: f.weights!,
          versionKey: version,
        });
        console.log(f.json ? json({ ok: true, block }) : `weights set at block ${block}`);
      } else {
        const key = await network.hotkey("miner");
        const coldUri = Deno.env.get("SN9_COLDKEY_URI");
        if (!coldUri && !network.embedded) {
          throw new TypeError("registration on subtensor is paid by a coldkey: set SN9_COLDKEY_URI");
        }
        const uid = await chain.register(netuid, key.address, coldUri ? await keyFromUri(coldUri) : key);
        console.log(f.json ? json({ uid }) : `registered ${key.address} as uid ${uid} on subnet ${netuid}`);
      }
    } finally {
      await network.close();
    }
  },
});

if (import.meta.main) await main(command);
