/**
 * A local chain (manual clock) and a local model store with five published bigram models of
 * clearly different quality: subnet 1, tempo 100, weights rate limit 5, //Alice a staked
 * validator at uid 0, the miners at uids 1–5. What validator-process tests start from, and the
 * validate command line over it.
 */
import { join } from "node:path";
import { publishModel } from "../../miner/mod.ts";
import {
  BUNDLED_SCHEDULES,
  competitionAt,
  devKey,
  keyFromUri,
  loadSchedule,
  LocalChain,
  LocalModelStore,
} from "../../src/mod.ts";
import { fitText, writeQualityModel } from "../../fixtures/mod.ts";

/** Paths to the chain's database and the store's directory. */
export interface PublishedSubnet {
  chainDb: string;
  storeDir: string;
}

/** Writes the subnet under `dir`; `genesisHash` fixes the seeded pages when a test needs the same ones every run. */
export async function publishedSubnet(
  dir: string,
  o: { minerPrefix?: string; genesisHash?: string } = {},
): Promise<PublishedSubnet> {
  const chainDb = join(dir, "chain.sqlite"), storeDir = join(dir, "store");
  const chain = LocalChain.open(chainDb, { clock: { kind: "manual" }, genesisHash: o.genesisHash });
  chain.createSubnet(1, { tempo: 100, weightsRateLimit: 5 });
  const validator = await devKey("Alice");
  await chain.register(1, validator.address, validator);
  chain.addStake(validator.address, 1_000_000_000_000n);
  const store = new LocalModelStore(storeDir);
  const competition = competitionAt(await loadSchedule(BUNDLED_SCHEDULES.local), 0, 1)!;
  const text = await fitText();
  for (const [i, smoothing] of [1, 4, 16, 64, 256].entries()) {
    const miner = await keyFromUri(`//${o.minerPrefix ?? "miner"}${i}`);
    await chain.register(1, miner.address, miner);
    const model = join(dir, `m${i}`);
    await writeQualityModel("bigram", text, model, { smoothing });
    // The validator under test does the checking.
    await publishModel({
      store,
      chain,
      netuid: 1,
      hotkey: miner,
      dir: model,
      repo: `miner${i}/m`,
      competition,
      skipChecks: true,
    });
  }
  chain.advance(5);
  await chain.close();
  return { chainDb, storeDir };
}

/** `tasks/validate.ts` over the subnet, with its state, run log and caches in `dir`; weights are not sent. */
export function validateCommandLine(dir: string, subnet: PublishedSubnet, extra: string[] = []): string[] {
  return [
    "tasks/validate.ts",
    "--chain-db",
    subnet.chainDb,
    "--store-dir",
    subnet.storeDir,
    "--state",
    join(dir, "v.sqlite"),
    "--run-log",
    join(dir, "run.jsonl"),
    "--cache-dir",
    join(dir, "cache"),
    "--dont-set-weights",
    ...extra,
  ];
}
