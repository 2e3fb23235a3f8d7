/**
 * The five-miner subnet (published_subnet.ts) and the datasets stand-in, with a runner of one
 * validator step per fresh state under given context fields (lanes, an evaluator), and the part
 * of a step's results that must be identical between two runs of it.
 */
import { join } from "node:path";
import {
  BUNDLED_SCHEDULES,
  devKey,
  loadSchedule,
  LocalChain,
  LocalModelStore,
  runStep,
  type ValidatorContext,
  ValidatorState,
} from "../../src/mod.ts";
import { publishedSubnet } from "./published_subnet.ts";
import { tempDir } from "./temp.ts";
import { testValidatorContext } from "./validator_context.ts";
import { startDatasetsServer } from "../standins/datasets_server.ts";

/** The subnet under a fresh directory named by `prefix`, and `step(name, overrides, log)`. */
export async function fiveMinerSteps(prefix: string) {
  const dir = await tempDir(`sn9-${prefix}-`);
  const subnet = await publishedSubnet(dir, {
    minerPrefix: `${prefix}-miner`,
    genesisHash: `0x${"5".padStart(64, "0")}`,
  });
  const datasets = await startDatasetsServer();
  const chain = LocalChain.open(subnet.chainDb, { clock: { kind: "manual" } });
  const schedule = await loadSchedule(BUNDLED_SCHEDULES.local);
  const step = async (name: string, overrides: Partial<ValidatorContext> = {}, log: (l: string) => void = () => {}) => {
    const state = new ValidatorState(join(dir, `${name}.sqlite`));
    try {
      const ctx = testValidatorContext(
        {
          root: join(dir, name),
          chain,
          store: new LocalModelStore(subnet.storeDir),
          datasetsUrl: datasets.url,
          schedule,
          hotkey: await devKey("Alice"),
          state,
        },
        log,
        overrides,
      );
      const summary = (await runStep(ctx))!;
      return state.evals(summary.stepId);
    } finally {
      state.close();
    }
  };
  return {
    dir,
    subnet,
    step,
    close: async () => {
      await chain.close();
      await datasets.close();
    },
  };
}

/** What must be identical between two runs of one step: each model's status, losses and per-sequence losses' hash. */
export function measured(
  evals: { uid: number; status: string; loss: number | null; taskLosses: unknown; lossesSha256?: string | null }[],
) {
  return evals.map((e) => [e.uid, e.status, e.loss, e.taskLosses, e.lossesSha256]);
}
