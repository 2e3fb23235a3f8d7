/**
 * A miner's publication: check the model against the competition before anything leaves the
 * machine, upload the hashed file set (private by default), hash what was pushed, commit the
 * metadata string with the hotkey, and read the commitment back until it matches.
 */
import type { KeyringPair } from "@polkadot/keyring/types";
import { checkModel } from "../eval/mod.ts";
import {
  type Chain,
  type Competition,
  formatModelId,
  hashModelDir,
  localModelFileSet,
  type ModelStore,
  secureHash,
} from "../src/mod.ts";

/** What was published. */
export interface Published {
  repo: string;
  commit: string;
  metadata: string;
  block: number;
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
  /** Make the repo public after committing (default: keep it private). */
  makePublic?: boolean;
  /** Skip local checks (only to reproduce what a careless miner could push; the validator checks anyway). */
  skipChecks?: boolean;
  log?: (line: string) => void;
}

/** Checks, uploads, commits and verifies one model. */
export async function publishModel(o: PublishOptions): Promise<Published> {
  const log = o.log ?? (() => {});
  const c = o.competition;
  if (!o.skipChecks) {
    const m = await checkModel(o.dir, {
      limits: {
        minParameters: c.minParameters,
        maxParameters: c.maxParameters,
        maxBytes: c.maxBytes,
        architectures: c.architectures,
      },
    });
    log(`${o.repo}: ${m.spec.architecture}, ${m.parameterCount} parameters: within competition ${c.id} (${c.name})`);
  }
  const files = await localModelFileSet(o.dir);
  const commit = await o.store.upload(o.repo, o.dir, files, { private: true, message: "sn9 model" });
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
      return { repo: o.repo, commit, metadata, block: back.block };
    }
    await new Promise((r) => setTimeout(r, 1000)); // a remote chain includes the extrinsic within a block or two
  }
  throw new Error(`the commitment of ${o.hotkey.address} did not read back as ${metadata}`);
}
