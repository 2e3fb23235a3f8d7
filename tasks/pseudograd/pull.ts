/**
 * `pseudograd pull`: a validator's published global checkpoint (`validate --publish-checkpoints`),
 * for a miner to train the next window on. The manifest is read strictly and the model files must
 * hash to its `result`; the command prints where the files are, the window and the hashes.
 */
import { pullCheckpoint } from "../../src/mod.ts";
import { openStoreFromFlags, type storeFlags, UsageError } from "../cli/mod.ts";
import type { Values } from "../cli/command.ts";

/** Runs `pull` with the task's flags. */
export async function pullCommand(
  f: Values<typeof storeFlags> & { repo?: string; revision?: string; json: boolean },
): Promise<void> {
  if (!f.repo) throw new UsageError("pull needs --repo, the validator's checkpoint repo (namespace/name)");
  const log = (line: string) => console.error(line);
  const { store, modelCacheDir } = await openStoreFromFlags(f, log);
  const got = await pullCheckpoint(store, { repo: f.repo, revision: f.revision, cacheDir: modelCacheDir, log });
  const { manifest } = got;
  if (f.json) {
    console.log(JSON.stringify({
      repo: got.repo,
      commit: got.commit,
      dir: got.dir,
      window: manifest.window,
      hash: got.hash,
      parent: manifest.parent,
      peers: manifest.peers.length,
    }));
    return;
  }
  console.log(`${got.repo}@${got.commit}: window ${manifest.window ?? "—"}'s global checkpoint`);
  console.log(
    `  model hash ${got.hash} (as its manifest says), from ${manifest.peers.length} submissions on ${manifest.parent}`,
  );
  console.log(`  files: ${got.dir}`);
  console.log(`  train window ${(manifest.window ?? -1) + 1} on it: deno task pseudograd encode --base ${got.dir} …`);
}
