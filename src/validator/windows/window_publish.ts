/**
 * The validator's checkpoints offered to miners and queue workers: with `publishCheckpoints` set,
 * the latest window's next checkpoint is committed to the competition's checkpoint repo
 * (src/pseudograd/published_checkpoint.ts) and its commit recorded with the window. A store that
 * fails leaves it unpublished, and the next turn tries again; the window itself stands.
 * Checkpoints older than the latest made are no longer needed to judge a window, so their
 * directories are removed (their hashes and commits stay in the state).
 */
import { basename, dirname, join } from "node:path";
import type { PseudogradCompetition } from "../../competitions/mod.ts";
import { type CheckpointManifest, checkpointRepo, MANIFEST_FILE, publishCheckpoint } from "../../pseudograd/mod.ts";
import type { ValidatorContext } from "../context.ts";

/** Publishes the competition's latest checkpoint if it is not yet; returns where it is, or null. */
export async function publishLatestCheckpoint(
  ctx: ValidatorContext,
  competition: PseudogradCompetition,
): Promise<{ repo: string; revision: string } | null> {
  const latest = ctx.state.windows.latestCheckpoint(competition.id);
  if (!latest) return null;
  if (latest.published) return latest.published;
  if (!ctx.publishCheckpoints) return null;
  let repo: string;
  try {
    repo = checkpointRepo(ctx.publishCheckpoints, competition.name);
  } catch (e) {
    ctx.log(`  checkpoints of competition ${competition.id} are not published: ${(e as Error).message}`);
    return null;
  }
  try {
    const manifest = JSON.parse(await Deno.readTextFile(join(latest.nextDir!, MANIFEST_FILE))) as CheckpointManifest;
    const revision = await publishCheckpoint(ctx.store, { repo, dir: latest.nextDir!, manifest });
    ctx.state.windows.setPublished(competition.id, latest.window, { repo, revision });
    ctx.log(
      `  window ${latest.window}'s checkpoint ${latest.nextHash!.slice(0, 12)}… published as ${repo}@${revision}`,
    );
    return { repo, revision };
  } catch (e) {
    ctx.signal?.throwIfAborted();
    ctx.log(
      `  window ${latest.window}'s checkpoint was not published to ${repo} (${
        (e as Error).message.slice(0, 160)
      }); the next turn tries again`,
    );
    return null;
  }
}

/** Removes the directories of the competition's checkpoints older than the latest made. */
export async function pruneOldCheckpoints(ctx: ValidatorContext, competition: PseudogradCompetition): Promise<void> {
  const latest = ctx.state.windows.latestCheckpoint(competition.id);
  if (!latest) return;
  for (const w of ctx.state.windows.windows(competition.id)) {
    if (w.window >= latest.window || !w.nextDir || basename(w.nextDir) !== "next") continue;
    // The window's work directory holds its checkpoint (`next/`) and nothing else kept.
    await Deno.remove(dirname(w.nextDir), { recursive: true }).catch(() => {});
  }
}
