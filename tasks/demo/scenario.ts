/**
 * The demo as a function: the whole competition on this machine with nothing outside it, and a
 * structured account of what happened. The embedded chain (manual clock, fixed genesis), the
 * bundled pages, the local model store; a validator and miners registered; graded models, a
 * random one, a degenerate one, one over the parameter cap, one with a broken header, a tiny
 * Llama for competition 2; an adapter competition's pinned base with adapters that fix it, do
 * nothing and hurt it; and (after each competition's first step) a copy of the best entry committed later
 * from another hotkey; validator steps until weights are on chain and a Yuma epoch has paid; then
 * five windows of a pseudo-gradient competition that trains one model together.
 * `tasks/demo.ts` prints it; tests read it.
 */
import { runAverager } from "./averager.ts";
import { COPIERS, Copiers } from "./copiers.ts";
import { publishMiners } from "./miners_publish.ts";
import { writeDemoModels } from "./models.ts";
import { NETUID, setUpNetwork } from "./network.ts";
import { PhaseClock } from "./phase_clock.ts";
import { Publisher } from "./publisher.ts";
import { openServices } from "./services.ts";
import { summarise } from "./summarise.ts";
import type { DemoSummary } from "./summary.ts";
import { runValidatorSteps } from "./validator_steps.ts";
import { runWindows, WINDOW_MINERS } from "./windows.ts";
import { demoPaths, emptyDir, modelsDir } from "./workspace.ts";

export type { DemoRow, DemoSummary } from "./summary.ts";

/** Options for `runDemo`. */
export interface DemoOptions {
  dir: string;
  /** The genesis hash's last hex digits (fixes the seed and so the pages; default 7). */
  genesis?: string;
  /** Receives the validator's and the demo's progress lines. */
  log?: (line: string) => void;
}

/** The chain's genesis hash from its last hex digits (default 7). */
function genesisHash(digits = "7"): string {
  // The genesis hash fixes the seed, hence the pages, so every run tells the same story. (Bigram
  // models pass SN9's degenerate-output check only for some prompt pairs: their greedy
  // continuations fall into the same loop whatever the prompt; this genesis gives prompts under
  // which the graded models pass.)
  return `0x${digits.padStart(64, "0")}`;
}

/** Runs the demo in `o.dir` (emptied first), one function per phase, each timed. */
export async function runDemo(o: DemoOptions): Promise<DemoSummary> {
  const log = o.log ?? (() => {});
  const clock = new PhaseClock();
  const paths = demoPaths(o.dir);
  await emptyDir(o.dir);
  const models = await writeDemoModels(modelsDir(o.dir));
  clock.end("fixtures");

  const services = await openServices(paths, genesisHash(o.genesis));
  try {
    const net = await setUpNetwork(services, paths, [
      ...models.map((m) => m.miner),
      ...COPIERS,
      ...WINDOW_MINERS.map((m) => m.name),
    ]);
    clock.end("chain setup");
    const publisher = new Publisher(net, log);
    await publishMiners(net, publisher, models);
    clock.end("miners publish");
    const { steps, paid } = await runValidatorSteps(net, new Copiers(publisher, models), log);
    clock.end("validator steps");
    const averaged = await runAverager(net, log);
    clock.end("averager");
    const windows = await runWindows(net, log);
    clock.end("windows");
    steps.push(...windows.steps);
    const { competitions, rejected, onChain } = await summarise(net, steps);
    clock.end("summary");
    return {
      paths,
      netuid: NETUID,
      published: publisher.published,
      steps,
      competitions,
      rejected,
      onChain,
      paid,
      averaged,
      windows: windows.windows,
      phases: clock.phases,
    };
  } finally {
    await services.close();
  }
}
