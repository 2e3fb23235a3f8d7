/**
 * What the queue tests share: the five-miner subnet and the datasets stand-in, a runner of one
 * validator step with a given evaluator (in-process when none), and the part of its results that
 * must be identical between two runs.
 */
import { join } from "node:path";
import {
  BUNDLED_SCHEDULES,
  devKey,
  type Evaluator,
  loadSchedule,
  LocalChain,
  LocalModelStore,
  runStep,
  ValidatorState,
} from "../../src/mod.ts";
import { NATS_SERVER } from "../helpers/nats_server.ts";
import { publishedSubnet } from "../helpers/published_subnet.ts";
import { tempDir } from "../helpers/temp.ts";
import { testValidatorContext } from "../helpers/validator_context.ts";
import { startDatasetsServer } from "../standins/datasets_server.ts";

/** Appended to the name of a test that needs the server, when it is missing. */
export const WITHOUT_NATS = NATS_SERVER ? "" : " (skipped: nats-server is not installed; .ci/run installs it)";

/** The five-miner subnet, the datasets stand-in and a runner of one step with a given evaluator. */
export async function queueFixture(prefix: string) {
  const dir = await tempDir(`sn9-queue-${prefix}-`);
  const subnet = await publishedSubnet(dir, {
    minerPrefix: `${prefix}-miner`,
    genesisHash: `0x${"5".padStart(64, "0")}`,
  });
  const datasets = await startDatasetsServer();
  const chain = LocalChain.open(subnet.chainDb, { clock: { kind: "manual" } });
  const schedule = await loadSchedule(BUNDLED_SCHEDULES.local);
  const step = async (name: string, evaluator?: Evaluator, log: (l: string) => void = () => {}) => {
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
        { evaluator },
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
