/** The demo's publishing phase: the pinned bases, then every miner's model, before the validator's first step. */
import { competitionAt } from "../../src/mod.ts";
import { publishBase } from "./base.ts";
import type { DemoModel } from "./models.ts";
import type { DemoNetwork } from "./network.ts";
import type { Publisher } from "./publisher.ts";
import { modelsDir } from "./workspace.ts";

/** Publishes each competition's pinned base and `models`, then lets the competitions' eval delay pass. */
export async function publishMiners(net: DemoNetwork, publisher: Publisher, models: DemoModel[]): Promise<void> {
  for (const c of net.schedule[0].competitions) await publishBase(c, net.store, modelsDir(net.paths.dir));
  const block0 = await net.chain.currentBlock();
  for (const m of models) {
    const competition = competitionAt(net.schedule, block0, m.competitionId)!;
    await publisher.publish(m.miner, m.dir, competition, () => m.note, m.skipChecks);
  }
  net.chain.advance(3); // past the competitions' eval delay
}
