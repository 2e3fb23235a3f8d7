/** The demo's validator: steps on the local network until its weights are on chain and Yuma has paid the miners. */
import { JsonlRunLog, runStep, type ValidatorContext } from "../../src/mod.ts";
import type { Copiers } from "./copiers.ts";
import { type DemoNetwork, NETUID, TEMPO } from "./network.ts";
import type { DemoSummary } from "./summary.ts";

/** The validator's steps and whether an epoch paid the miners after its last weights. */
export interface ValidatorRun {
  steps: DemoSummary["steps"];
  paid: boolean;
}

/** The validator as `deno task validate` runs it, on the demo's network. */
export function validatorContext(net: DemoNetwork, log: (line: string) => void): ValidatorContext {
  return {
    chain: net.chain,
    store: net.store,
    datasets: net.datasets,
    schedule: net.schedule,
    netuid: NETUID,
    hotkey: net.validator,
    state: net.state,
    cacheDir: net.paths.cache,
    modelCacheDir: net.modelCacheDir,
    device: "cpu",
    setWeights: true,
    telemetry: new JsonlRunLog(net.paths.runLog),
    log,
  };
}

/** Whether an epoch after the validator's last weights, set on chain, paid a miner (uid 0 is the validator). */
function paidSinceWeights(net: DemoNetwork): boolean {
  const last = net.state.lastWeightsSet();
  const epochs = net.chain.epochs(NETUID).filter((e) => e.block > (last?.block ?? Infinity));
  return last?.result === "set" &&
    epochs.some((e) => e.result.emission.some((x: number, uid: number) => uid !== 0 && x > 0));
}

/** Runs the validator's steps, half a tempo apart, letting `copiers` publish after each. */
export async function runValidatorSteps(
  net: DemoNetwork,
  copiers: Copiers,
  log: (line: string) => void,
): Promise<ValidatorRun> {
  const ctx = validatorContext(net, log);
  const steps: DemoSummary["steps"] = [];
  let paid = false;
  const rounds = 2 * net.schedule[0].competitions.length;
  // Each competition twice, a copier's later commitment scored in the second round; more only
  // if no epoch has paid the miners yet.
  for (let i = 0; i < rounds + 6 && (i < rounds || !paid); i++) {
    const summary = await runStep(ctx);
    if (summary) {
      const { stepId, block, competition, weightsResult: weights } = summary;
      steps.push({ stepId, block, competitionId: competition.id, weights });
    }
    await copiers.afterStep(summary);
    net.chain.advance(TEMPO / 2);
    paid = paidSinceWeights(net);
  }
  return { steps, paid };
}
