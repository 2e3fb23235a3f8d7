/**
 * A window's submissions, from the chain and the model store: each registered peer's commitment
 * as it stood at the window's deadline block (the chain keeps a hotkey's latest only), plus any it
 * made after the deadline while the next window's submissions cannot yet have come (those are
 * late); each names `namespace:name:commit:secure_hash:competition`, whose hash covers the one-file
 * set {pseudograd.safetensors} and binds it to the hotkey, as a model's does its files. A file
 * that cannot be had, is over the competition's byte cap, or does not match its hash is missing,
 * with the reason; the format's own rules are screenSubmissions' (src/pseudograd).
 */
import { createHash } from "node:crypto";
import type { Chain, Metagraph } from "../../chain/mod.ts";
import type { PseudogradCompetition } from "../../competitions/mod.ts";
import { isTimeout, isTransient } from "../../http/mod.ts";
import { type ModelStore, readRepoFile, RepoFileUnavailable } from "../../hub/mod.ts";
import { combineFileHashes, InvalidMetadata, parseModelId, repoId, secureHash } from "../../metadata/mod.ts";
import { SUBMISSION_FILE, windowSpan, type WindowSubmission } from "../../pseudograd/mod.ts";

/** The model hash of a submission file: SN9's hash over the one-file set {pseudograd.safetensors}. */
export function submissionHash(bytes: Uint8Array): string {
  return combineFileHashes([createHash("sha256").update(bytes).digest("base64")]);
}

/** A peer's submission, with where it came from (for the leaderboard's rows). */
export interface FetchedSubmission extends WindowSubmission {
  hotkey: string;
  repo: string;
  revision: string;
}

/** Reads the window's commitments and fetches each peer's file. */
export async function windowSubmissions(
  competition: PseudogradCompetition,
  o: {
    chain: Chain;
    netuid: number;
    store: ModelStore;
    metagraph: Metagraph;
    window: number;
    head: number;
    cacheDir: string;
  },
): Promise<FetchedSubmission[]> {
  const rules = competition.pseudograd;
  const span = windowSpan(o.window, rules);
  const uids = new Map(o.metagraph.neurons.map((n) => [n.hotkey, n.uid]));
  const atDeadline = await o.chain.commitments(o.netuid, span.deadline);
  const chosen = new Map(atDeadline.map((c) => [c.hotkey, c]));
  // After the deadline and before the next window ends, a new commitment can only be this window's, late.
  if (o.head < span.end + rules.windowBlocks) {
    for (const c of await o.chain.commitments(o.netuid)) {
      if (c.block > span.deadline && !forThisWindow(chosen.get(c.hotkey), span)) chosen.set(c.hotkey, c);
    }
  }
  const out: FetchedSubmission[] = [];
  for (const c of [...chosen.values()].sort((a, b) => (a.hotkey < b.hotkey ? -1 : 1))) {
    const uid = uids.get(c.hotkey);
    if (uid === undefined) continue;
    let id;
    try {
      id = parseModelId(c.data);
    } catch (e) {
      if (e instanceof InvalidMetadata) continue; // not a submission at all
      throw e;
    }
    if (id.competitionId !== competition.id) continue;
    const repo = repoId(id);
    const file = await fetchFile(competition, o, { repo, commit: id.commit, hotkey: c.hotkey, secure: id.secureHash });
    const sha256 = file instanceof Uint8Array ? createHash("sha256").update(file).digest("hex") : "";
    out.push({ uid, block: c.block, file, sha256, hotkey: c.hotkey, repo, revision: id.commit });
  }
  return out.sort((a, b) => a.uid - b.uid);
}

function forThisWindow(c: { block: number } | undefined, span: { end: number; deadline: number }): boolean {
  return c !== undefined && c.block >= span.end && c.block <= span.deadline;
}

/** The file's bytes, or why it cannot be had. */
async function fetchFile(
  competition: PseudogradCompetition,
  o: { store: ModelStore; cacheDir: string },
  c: { repo: string; commit: string; hotkey: string; secure: string },
): Promise<Uint8Array | { unavailable: string }> {
  try {
    const bytes = await readRepoFile(o.store, {
      repo: c.repo,
      commit: c.commit,
      path: SUBMISSION_FILE,
      maxBytes: competition.maxBytes,
      cacheDir: o.cacheDir,
    });
    if (secureHash(submissionHash(bytes), c.hotkey) !== c.secure) {
      return { unavailable: `${SUBMISSION_FILE} does not match the committed hash (a changed file, or another's)` };
    }
    return bytes;
  } catch (e) {
    // A service that may answer later fails the turn, to be retried; anything else is the peer's.
    if (e instanceof RepoFileUnavailable) return { unavailable: e.message };
    if (isTransient(e) || isTimeout(e)) throw e;
    return { unavailable: `${c.repo}@${c.commit.slice(0, 8)}: ${(e as Error).message}` };
  }
}
