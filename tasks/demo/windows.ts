/**
 * The demo's pseudo-gradient competition: from its first window on, the window miners
 * (pseudograd_miners.ts) train by counting and submit each window on the global checkpoint the
 * validator made from the window before, which it publishes to the store and they pull, and the
 * validator takes the window's turn (`runStep`). Five windows; each one's held-out loss, its
 * published commit and its peers' rows go into the summary.
 */
import { join } from "node:path";
import { checkpointRepo, type PseudogradCompetition, runStep, windowSpan } from "../../src/mod.ts";
import { pseudogradStartingText } from "./base.ts";
import { type DemoNetwork, NETUID } from "./network.ts";
import { type WindowBehaviour, type WindowMiner, WindowMiners } from "./pseudograd_miners.ts";
import type { DemoSummary } from "./summary.ts";
import { validatorContext } from "./validator_steps.ts";

/** The window miners, by name and behaviour. */
export const WINDOW_MINERS: readonly { name: string; behaviour: WindowBehaviour }[] = [
  { name: "pat", behaviour: "honest" },
  { name: "quinn", behaviour: "honest" },
  { name: "rosa", behaviour: "honest" },
  { name: "gus", behaviour: "generic" },
  { name: "sam", behaviour: "scaler" },
  { name: "zed", behaviour: "zero" },
  { name: "cory", behaviour: "copier" },
  { name: "bea", behaviour: "broken" },
  { name: "lou", behaviour: "late" },
];

/** How many windows the demo runs. */
export const DEMO_WINDOWS = 5;

/** The namespace the demo's validator publishes its checkpoints under (`validate --publish-checkpoints`). */
export const DEMO_CHECKPOINTS = "sn9";

/** Runs the windows; returns their summaries and the steps they were recorded as. */
export async function runWindows(
  net: DemoNetwork,
  log: (line: string) => void,
): Promise<{ windows: DemoSummary["windows"]; steps: DemoSummary["steps"] }> {
  const competition = net.schedule[0].competitions.find((c) => c.kind === "pseudograd") as
    | PseudogradCompetition
    | undefined;
  if (!competition) return { windows: [], steps: [] };
  const metagraph = await net.chain.metagraph(NETUID);
  const miners: WindowMiner[] = WINDOW_MINERS.map((m) => {
    const key = net.keys.get(m.name)!;
    return { ...m, key, uid: metagraph.neurons.find((n) => n.hotkey === key.address)!.uid };
  });
  const crowd = new WindowMiners({
    competition,
    chain: net.chain,
    netuid: NETUID,
    store: net.store,
    datasets: net.datasets,
    cacheDir: net.paths.cache,
    workDir: join(net.paths.dir, "window-miners"),
    startingText: await pseudogradStartingText(),
  }, miners);
  // The validator's turns here are the pseudo-gradient competition's only, its schedule narrowed to
  // it and its weights kept in its state rather than sent: the model competitions' story above (the
  // steps, the weights Yuma paid) stays as told. A validator in service rotates through all four.
  const ctx = {
    ...validatorContext(net, log),
    schedule: [{ startBlock: 0, competitions: [competition] }],
    setWeights: false,
    publishCheckpoints: DEMO_CHECKPOINTS,
  };
  const repo = checkpointRepo(DEMO_CHECKPOINTS, competition.name);
  let global = await crowd.startingCheckpoint();
  const windows: DemoSummary["windows"] = [];
  const steps: DemoSummary["steps"] = [];
  const nameOf = new Map(miners.map((m) => [m.uid, m.name]));
  for (let w = 0; w < DEMO_WINDOWS; w++) {
    log(`window ${w} (blocks ${windowSpan(w, competition.pseudograd).start}–): the window miners submit`);
    let started = performance.now();
    await crowd.submitWindow(w, global);
    log(`window ${w}: the miners trained and submitted in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    started = performance.now();
    const summary = await runStep(ctx);
    log(`window ${w}: the validator's turn took ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const done = ctx.state.windows.latest(competition.id);
    if (!summary || done?.window !== w) throw new Error(`the validator's turn did not evaluate window ${w}`);
    steps.push({ stepId: summary.stepId, block: summary.block, competitionId: competition.id, weights: "kept" });
    windows.push({
      window: w,
      heldOutBefore: done.heldOutBefore,
      heldOutAfter: done.heldOutAfter,
      nextHash: done.nextHash,
      published: done.published ? `${done.published.repo}@${done.published.revision}` : null,
      peers: net.state.evals(done.stepId).map((e) => ({
        uid: e.uid,
        miner: nameOf.get(e.uid) ?? "?",
        status: e.status,
        reason: e.reason,
        explanation: e.explanation ?? null,
        weight: e.weight ?? null,
      })),
    });
    if (done.nextDir) {
      // The miners take the next global model from the store, as published, not from the validator's disk.
      const pulled = await crowd.publishedCheckpoint(repo);
      if (pulled.window !== w || pulled.hash !== done.nextHash) {
        throw new Error(`the published checkpoint is window ${pulled.window}'s ${pulled.hash}, not window ${w}'s`);
      }
      global = pulled;
    }
  }
  return { windows, steps };
}
