/** Publishing a miner's entry on the demo's network, and the record of every entry published. */
import { publishModel } from "../../miner/mod.ts";
import type { Competition } from "../../src/mod.ts";
import { type DemoNetwork, NETUID } from "./network.ts";
import type { DemoSummary } from "./summary.ts";

/** Publishes entries as `deno task miner:upload` would, and remembers them for the summary. */
export class Publisher {
  /** Every entry published so far, in order. */
  readonly published: DemoSummary["published"] = [];

  /** Publishes on `net`, telling `log` of each entry. */
  constructor(readonly net: DemoNetwork, readonly log: (line: string) => void) {}

  /** Publishes `dir` as `miner`'s entry and records it; `note` is told the commitment's block. */
  async publish(
    miner: string,
    dir: string,
    competition: Competition,
    note: (block: number) => string,
    skipChecks?: boolean,
  ): Promise<void> {
    const { chain, store, datasets, paths, schedule } = this.net;
    const hotkey = this.net.keys.get(miner)!;
    const p = await publishModel({
      store,
      chain,
      netuid: NETUID,
      hotkey,
      dir,
      repo: `${miner}/sn9-model`,
      competition,
      checks: { datasets, cacheDir: paths.cache, entryStart: schedule[0].startBlock },
      skipChecks,
    });
    const uid = (await chain.metagraph(NETUID)).neurons.find((n) => n.hotkey === hotkey.address)!.uid;
    const entry = { miner, uid, repo: p.repo, commit: p.commit, note: note(p.block) };
    this.published.push(entry);
    this.log(`published ${miner}: ${p.repo}@${p.commit.slice(0, 8)} (${entry.note})`);
  }
}
