/**
 * What the demo runs against and must close whatever happens: the bundled pages' server, the
 * embedded chain and the validator's state.
 */
import { LocalChain, type RunningDatasetsServer, startDatasetsServer, ValidatorState } from "../../src/mod.ts";
import type { DemoSummary } from "./summary.ts";

/** The demo's open services. */
export interface DemoServices {
  datasets: RunningDatasetsServer;
  chain: LocalChain;
  state: ValidatorState;
  /** Closes the state, the chain, then the pages' server. */
  close(): Promise<void>;
}

/** Starts the pages' server and opens the chain (manual clock, genesis hash `genesisHash`) and the state at `paths`. */
export async function openServices(paths: DemoSummary["paths"], genesisHash: string): Promise<DemoServices> {
  const datasets = await startDatasetsServer();
  const chain = LocalChain.open(paths.chain, { clock: { kind: "manual" }, genesisHash });
  const state = new ValidatorState(paths.state);
  return {
    datasets,
    chain,
    state,
    async close() {
      state.close();
      await chain.close();
      await datasets.close();
    },
  };
}
