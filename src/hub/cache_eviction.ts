/**
 * Keeping the model cache bounded: snapshots no longer referenced by any tracked commitment are
 * removed, then, while the cache is over its byte cap, the least recently used referenced ones
 * too (never those in `pinned`). Blobs no snapshot links to any more are deleted with them.
 */
import { join } from "node:path";
import { cacheFolderName } from "./model_store.ts";

/** A model revision to keep. */
export interface CacheRef {
  repo: string;
  commit: string;
}

/** What eviction removed and what remains. */
export interface EvictionReport {
  removedSnapshots: string[];
  freedBytes: number;
  remainingBytes: number;
}

/**
 * Evicts from the Hugging Face-layout cache in `cacheDir`. `keep` are the revisions still
 * referenced (kept unless over `maxBytes`); `pinned` are never evicted (e.g. being evaluated).
 */
export async function evictCache(
  cacheDir: string,
  keep: CacheRef[],
  options: { maxBytes?: number; pinned?: CacheRef[] } = {},
): Promise<EvictionReport> {
  const key = (r: CacheRef) => join(cacheFolderName(r.repo), "snapshots", r.commit);
  const kept = new Set(keep.map(key)), pinned = new Set((options.pinned ?? []).map(key));
  const snapshots = await listSnapshots(cacheDir);
  const report: EvictionReport = { removedSnapshots: [], freedBytes: 0, remainingBytes: 0 };

  const remove = async (s: Snapshot) => {
    await Deno.remove(join(cacheDir, s.key), { recursive: true });
    report.removedSnapshots.push(s.key);
  };
  const survivors: Snapshot[] = [];
  for (const s of snapshots) {
    if (kept.has(s.key) || pinned.has(s.key)) survivors.push(s);
    else await remove(s);
  }
  if (options.maxBytes !== undefined) {
    survivors.sort((a, b) => a.usedAt - b.usedAt); // least recently used first
    let total = await referencedBytes(cacheDir, survivors);
    for (const s of [...survivors]) {
      if (total <= options.maxBytes) break;
      if (pinned.has(s.key)) continue;
      await remove(s);
      survivors.splice(survivors.indexOf(s), 1);
      total = await referencedBytes(cacheDir, survivors);
    }
  }
  report.freedBytes = await deleteOrphanBlobs(cacheDir, survivors);
  report.remainingBytes = await referencedBytes(cacheDir, survivors);
  return report;
}

interface Snapshot {
  key: string; // models--ns--name/snapshots/<commit>
  folder: string; // models--ns--name
  usedAt: number;
}

async function listSnapshots(cacheDir: string): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  for await (const repo of readDirSafe(cacheDir)) {
    if (!repo.isDirectory || !repo.name.startsWith("models--")) continue;
    for await (const snap of readDirSafe(join(cacheDir, repo.name, "snapshots"))) {
      const key = join(repo.name, "snapshots", snap.name);
      const stat = await Deno.lstat(join(cacheDir, key));
      out.push({ key, folder: repo.name, usedAt: (stat.atime ?? stat.mtime)?.getTime() ?? 0 });
    }
  }
  return out;
}

/** Blobs linked from the given snapshots, by real path, with their sizes. */
async function linkedBlobs(cacheDir: string, snapshots: Snapshot[]): Promise<Map<string, number>> {
  const blobs = new Map<string, number>();
  const walk = async (dir: string) => {
    for await (const e of readDirSafe(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory) await walk(path);
      else {
        try {
          const real = await Deno.realPath(path);
          blobs.set(real, (await Deno.stat(real)).size);
        } catch { /* dangling link: nothing to keep */ }
      }
    }
  };
  for (const s of snapshots) await walk(join(cacheDir, s.key));
  return blobs;
}

async function referencedBytes(cacheDir: string, snapshots: Snapshot[]): Promise<number> {
  let total = 0;
  for (const size of (await linkedBlobs(cacheDir, snapshots)).values()) total += size;
  return total;
}

async function deleteOrphanBlobs(cacheDir: string, survivors: Snapshot[]): Promise<number> {
  const linked = await linkedBlobs(cacheDir, survivors);
  let freed = 0;
  for await (const repo of readDirSafe(cacheDir)) {
    if (!repo.name.startsWith("models--")) continue;
    for await (const blob of readDirSafe(join(cacheDir, repo.name, "blobs"))) {
      const path = await Deno.realPath(join(cacheDir, repo.name, "blobs", blob.name));
      if (!linked.has(path)) {
        freed += (await Deno.stat(path)).size;
        await Deno.remove(path);
      }
    }
  }
  return freed;
}

async function* readDirSafe(dir: string): AsyncGenerator<Deno.DirEntry> {
  try {
    yield* Deno.readDir(dir);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}
