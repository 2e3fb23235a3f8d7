/**
 * A miner's publication, in the order that protects the miner:
 * 1. every check a validator makes, on this machine: the competition's limits, every header rule,
 *    the non-finite scan, and the loss and degenerate-output check on the pages of the current
 *    sync block (`preflight`; `checks.datasets` may serve the bundled pages);
 * 2. the hotkey must be registered on the subnet (nothing is pushed for a commitment that cannot
 *    be made);
 * 3. an existing commitment is replaced only when the caller confirms it, since the new one
 *    restarts the commit block and with it the epsilon advantage;
 *    A directory holding a PEFT adapter (adapter_config.json) publishes its two files the same way.
 * 4. the hashed file set is uploaded (private by default), the metadata string is committed with
 *    the hotkey, and read back until it matches.
 */
import type { KeyringPair } from "@polkadot/keyring/types";
import { join } from "node:path";
import {
  type Chain,
  type Competition,
  type DatasetsServerClient,
  formatModelId,
  hashModelDir,
  localModelFileSet,
  type ModelStore,
  parseModelId,
  secureHash,
  seedFromBlockHash,
  syncBlock,
} from "../src/mod.ts";
import { preflight, type PreflightResult } from "./preflight.ts";

/** What was published. */
export interface Published {
  repo: string;
  commit: string;
  metadata: string;
  block: number;
  /** The preflight that cleared it (absent with `skipChecks`). */
  checked?: PreflightResult;
}

/** Options for `publishModel`. */
export interface PublishOptions {
  store: ModelStore;
  chain: Chain;
  netuid: number;
  hotkey: KeyringPair;
  dir: string;
  repo: string;
  competition: Competition;
  /** Pages and caches for the local checks (the bundled pages do). */
  checks?: {
    datasets: DatasetsServerClient;
    cacheDir: string;
    resolveTokenizer?: (repo: string) => Promise<string>;
    /** The block the competition's schedule entry began (an adapter competition's base counts as committed then). */
    entryStart?: number;
    /** Where an adapter competition's base is downloaded (default: `{cacheDir}/hub`). */
    modelCacheDir?: string;
  };
  /** Replace an existing commitment (losing its block and epsilon advantage). */
  replace?: boolean;
  /** Make the repo public after committing (default: keep it private). */
  makePublic?: boolean;
  /** Skip the local checks (only to reproduce what a careless miner could push; the validator checks anyway). */
  skipChecks?: boolean;
  log?: (line: string) => void;
}

/** Checks, uploads, commits and verifies one model; throws naming the rule that stopped it. */
export async function publishModel(o: PublishOptions): Promise<Published> {
  const log = o.log ?? (() => {});
  const c = o.competition;
  let checked: PreflightResult | undefined;
  if (!o.skipChecks) {
    if (!o.checks) throw new TypeError("publishModel needs pages for its checks (or skipChecks)");
    // The pages of the validators' current sync block: the step the model would meet next.
    const block = await o.chain.currentBlock();
    checked = await preflight({
      dir: o.dir,
      competition: c,
      client: o.checks.datasets,
      seed: seedFromBlockHash(await o.chain.blockHash(syncBlock(block))),
      block,
      cacheDir: o.checks.cacheDir,
      resolveTokenizer: o.checks.resolveTokenizer,
      base: { store: o.store, cacheDir: o.checks.modelCacheDir ?? join(o.checks.cacheDir, "hub") },
      entryStart: o.checks.entryStart,
    });
    if (!checked.passes) throw new RangeError(`not uploaded: ${checked.verdict}`);
    log(
      `${o.dir}: ${checked.architecture}, ${checked.parameters} parameters, loss ${checked.loss!.toFixed(4)}${
        checked.improvement !== null ? ` (the base's minus this: ${checked.improvement.toFixed(4)})` : ""
      }: passes competition ${c.id} (${c.name})`,
    );
  }
  const registered = (await o.chain.metagraph(o.netuid)).neurons.some((n) => n.hotkey === o.hotkey.address);
  if (!registered) {
    throw new RangeError(
      `not uploaded: hotkey ${o.hotkey.address} is not registered on subnet ${o.netuid}; register it first`,
    );
  }
  const existing = await o.chain.commitment(o.netuid, o.hotkey.address);
  if (existing && !o.replace) {
    let what = existing.data;
    try {
      const id = parseModelId(existing.data);
      what = `${id.namespace}/${id.name}@${id.commit.slice(0, 8)} (competition ${id.competitionId})`;
    } catch { /* show it as it is */ }
    throw new RangeError(
      `not uploaded: this hotkey already committed ${what} at block ${existing.block}; a new commitment replaces it and restarts the epsilon advantage from the new block (confirm with --yes)`,
    );
  }
  const files = await localModelFileSet(o.dir);
  const commit = await o.store.upload({ repo: o.repo, dir: o.dir, paths: files, private: true, message: "sn9 model" });
  const { hash } = await hashModelDir(o.dir);
  const [namespace, name] = o.repo.split("/");
  const metadata = formatModelId({
    namespace,
    name,
    commit,
    secureHash: secureHash(hash, o.hotkey.address),
    competitionId: c.id,
  });
  await o.chain.setCommitment(o.netuid, o.hotkey, metadata);
  for (let i = 0; i < 30; i++) {
    const back = await o.chain.commitment(o.netuid, o.hotkey.address);
    if (back?.data === metadata) {
      if (o.makePublic) await o.store.setVisibility(o.repo, false);
      log(`${o.repo}@${commit.slice(0, 8)} committed at block ${back.block}`);
      return { repo: o.repo, commit, metadata, block: back.block, checked };
    }
    await new Promise((r) => setTimeout(r, 1000)); // a remote chain includes the extrinsic within a block or two
  }
  throw new Error(`the commitment of ${o.hotkey.address} did not read back as ${metadata}`);
}
