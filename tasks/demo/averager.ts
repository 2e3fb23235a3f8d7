/** The demo's averager: the adapter competition's paid adapters merged into the next base, as `deno task average` does. */
import { join } from "node:path";
import { averageStep } from "../../src/mod.ts";
import type { DemoNetwork } from "./network.ts";
import type { DemoSummary } from "./summary.ts";
import { modelsDir } from "./workspace.ts";

const NEXT_BASE = "sn9/tiny-gpt2-next-base";

/** Merges the adapter competition's last step into the next base; null when the schedule has no adapter competition. */
export async function runAverager(net: DemoNetwork, log: (line: string) => void): Promise<DemoSummary["averaged"]> {
  const competition = net.schedule[0].competitions.find((c) => c.kind === "adapter");
  if (!competition) return null;
  const r = await averageStep({
    state: net.state,
    schedule: net.schedule,
    store: net.store,
    datasets: net.datasets,
    competitionId: competition.id,
    outDir: join(modelsDir(net.paths.dir), "averaged"),
    cacheDir: net.paths.cache,
    modelCacheDir: net.modelCacheDir,
    repo: NEXT_BASE,
    log,
  });
  log(`averaged step ${r.stepId}: loss ${r.mergedLoss.toFixed(4)} against the base's ${r.baseLoss.toFixed(4)}`);
  return {
    competitionId: competition.id,
    stepId: r.stepId,
    adapters: r.adapters.map((a) => `${a.repo} (share ${a.share.toFixed(2)})`),
    baseLoss: r.baseLoss,
    mergedLoss: r.mergedLoss,
    repo: NEXT_BASE,
    commit: r.commit!,
    hash: r.hash,
  };
}
