/**
 * `deno task miner:upload --model <dir> --repo ns/name --competition <id> [--network embedded|…]
 *   [--netuid 1] [--store local|hf] [--public] [--wallet.name W --wallet.hotkey H]`:
 * checks the model against the competition, pushes it (private), hashes what was pushed,
 * commits the metadata with the hotkey and reads it back. Exit 1 with the reason on failure.
 */
import { parseArgs } from "node:util";
import { publishModel } from "../miner/mod.ts";
import {
  BUNDLED_SCHEDULES,
  competitionAt,
  DEFAULT_CHAIN_DB,
  EMBEDDED,
  HfModelStore,
  hfToken,
  keyFromUri,
  loadHotkey,
  loadSchedule,
  LocalModelStore,
  openChain,
} from "../src/mod.ts";

const { values: f } = parseArgs({
  args: Deno.args,
  options: {
    model: { type: "string" },
    repo: { type: "string" },
    competition: { type: "string" },
    network: { type: "string", default: EMBEDDED },
    netuid: { type: "string", default: "1" },
    "chain-db": { type: "string", default: DEFAULT_CHAIN_DB },
    store: { type: "string" },
    "store-dir": { type: "string", default: ".cache/local-store" },
    public: { type: "boolean", default: false },
    "wallet.name": { type: "string", default: "default" },
    "wallet.hotkey": { type: "string", default: "default" },
    schedule: { type: "string" },
  },
});
if (!f.model || !f.repo || f.competition === undefined) {
  console.error(
    "usage: deno task miner:upload --model <dir> --repo ns/name --competition <id> [--network …] [--store local|hf] [--public]",
  );
  Deno.exit(2);
}
const embedded = f.network === EMBEDDED;
const chain = await openChain(f.network!, { chainDb: f["chain-db"] });
try {
  const hotkey = embedded && !Deno.env.get("SN9_HOTKEY_URI") && f["wallet.name"] === "default"
    ? await keyFromUri("//Bob")
    : await loadHotkey({ wallet: f["wallet.name"]!, hotkey: f["wallet.hotkey"]! });
  const schedule = await loadSchedule(
    BUNDLED_SCHEDULES[(f.schedule ?? (embedded ? "local" : "finney")) as "local" | "finney"],
  );
  const block = await chain.currentBlock();
  const competition = competitionAt(schedule, block, Number(f.competition));
  if (!competition) throw new RangeError(`competition ${f.competition} is not in force at block ${block}`);
  const store = (f.store ?? (embedded ? "local" : "hf")) === "local"
    ? new LocalModelStore(f["store-dir"]!)
    : new HfModelStore({ accessToken: await hfToken() });
  const p = await publishModel({
    store,
    chain,
    netuid: Number(f.netuid),
    hotkey,
    dir: f.model,
    repo: f.repo,
    competition,
    makePublic: f.public,
    log: console.log,
  });
  console.log(`committed: ${p.metadata} at block ${p.block}`);
} catch (e) {
  console.error(`miner:upload: ${(e as Error).message}`);
  Deno.exitCode = 1;
} finally {
  await chain.close();
}
