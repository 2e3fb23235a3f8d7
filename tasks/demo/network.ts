/**
 * The demo's subnet on the local chain: created, the validator staked and permitted, every miner
 * (copiers included) registered; and everything the later phases share.
 */
import { join } from "node:path";
import {
  BUNDLED_SCHEDULES,
  DatasetsServerClient,
  devKey,
  keyFromUri,
  loadSchedule,
  type LocalChain,
  LocalModelStore,
  type Schedule,
  type ValidatorState,
} from "../../src/mod.ts";
import type { DemoServices } from "./services.ts";
import type { DemoSummary } from "./summary.ts";

/** The demo subnet's id. */
export const NETUID = 1;
/** The demo subnet's tempo, in blocks: how often Yuma pays. */
export const TEMPO = 20;

/** A hotkey of the demo. */
export type DemoKey = Awaited<ReturnType<typeof devKey>>;

/** The subnet set up, and what the phases after it use. */
export interface DemoNetwork {
  paths: DemoSummary["paths"];
  chain: LocalChain;
  state: ValidatorState;
  datasets: DatasetsServerClient;
  schedule: Schedule;
  store: LocalModelStore;
  /** Where the validator and the averager cache downloaded models. */
  modelCacheDir: string;
  validator: DemoKey;
  /** Each miner's hotkey by name. */
  keys: Map<string, DemoKey>;
}

/** Creates the subnet on `services.chain` and registers the validator and `miners`, in that order. */
export async function setUpNetwork(
  services: DemoServices,
  paths: DemoSummary["paths"],
  miners: string[],
): Promise<DemoNetwork> {
  const { chain, state } = services;
  chain.createSubnet(NETUID, { tempo: TEMPO, weightsRateLimit: 5, maxAllowedValidators: 4, activityCutoff: 5000 });
  // Pseudo-gradient miners commit once a window (20 blocks). Spec 218's commitments pallet allows a
  // hotkey one commitment per 100 blocks; today's counts bytes instead, about 31 commitments a tempo.
  chain.setCommitmentRateLimit(10);
  const schedule = await loadSchedule(BUNDLED_SCHEDULES.local);
  const store = new LocalModelStore(paths.store);
  const validator = await devKey("Alice");
  const keys = new Map<string, DemoKey>();
  for (const m of miners) keys.set(m, await keyFromUri(`//${m}`));
  await chain.register(NETUID, validator.address, await devKey("Alice", "coldkey"));
  for (const [, k] of keys) await chain.register(NETUID, k.address, k);
  chain.addStake(validator.address, 1_000_000_000_000n);
  chain.advance(TEMPO + 1); // one epoch: the staked validator receives its permit
  const datasets = new DatasetsServerClient({ baseUrl: services.datasets.url });
  const modelCacheDir = join(paths.cache, "hub");
  return { paths, chain, state, datasets, schedule, store, modelCacheDir, validator, keys };
}
