/**
 * The window miners a validator test meets (tasks/demo/pseudograd_miners.ts), registered on
 * subnet 1 of a local chain one per behaviour, with their keys `//{prefix}{behaviour}{i}`, their
 * pages from the datasets-server stand-in and their files under `dir`.
 */
import { join } from "node:path";
import {
  DatasetsServerClient,
  keyFromUri,
  type LocalChain,
  type ModelStore,
  type PseudogradCompetition,
} from "../../src/mod.ts";
import { pseudogradStartingText } from "../../tasks/demo/base.ts";
import { type WindowBehaviour, type WindowMiner, WindowMiners } from "../../tasks/demo/pseudograd_miners.ts";

/** Registers the miners and gives them their world. */
export async function windowCrowd(o: {
  competition: PseudogradCompetition;
  chain: LocalChain;
  store: ModelStore;
  datasetsUrl: string;
  dir: string;
  behaviours: readonly WindowBehaviour[];
  prefix: string;
}): Promise<{ crowd: WindowMiners; miners: WindowMiner[] }> {
  const miners: WindowMiner[] = [];
  for (const [i, behaviour] of o.behaviours.entries()) {
    const name = `${o.prefix}${behaviour}${i}`;
    const key = await keyFromUri(`//${name}`);
    miners.push({ name, behaviour, key, uid: await o.chain.register(1, key.address, key) });
  }
  const crowd = new WindowMiners({
    competition: o.competition,
    chain: o.chain,
    netuid: 1,
    store: o.store,
    datasets: new DatasetsServerClient({ baseUrl: o.datasetsUrl, token: "" }),
    cacheDir: join(o.dir, "miners-cache"),
    workDir: join(o.dir, "miners"),
    startingText: await pseudogradStartingText(),
  }, miners);
  return { crowd, miners };
}
