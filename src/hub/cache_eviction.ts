/**
 * Keeping a validator's share of a (possibly shared) Hugging Face cache under a byte cap. Only
 * snapshots this program created are candidates (the caller's record of its downloads, see
 * `DownloadResult.createdSnapshot`), never one a current commitment references, least recently
 * used first, and only while the cap is exceeded. A blob goes with its snapshot only if this
 * program created it and no remaining snapshot of any tool links to it, so files other HF tools
 * put in the cache are never touched.
 */
import { join, resolve } from "node:path";
import { cacheFolderName } from "./model_store.ts";

/** A model revision. */
export interface CacheRef {
  repo: string;
  commit: string;
}

/** A snapshot this program downloaded, with the blobs it created (relative to the cache directory). */
export interface OwnedSnapshot extends CacheRef {
  blobs: string[];
  /** When it was last evaluated (ms); the least recent goes first. */
  usedMs: number;
}

/** What eviction did. */
export interface EvictionReport {
  removed: OwnedSnapshot[];
  freedBytes: number;
  /** Bytes of blobs this program owns that remain. */
  ownedBytes: number;
  /** Bytes still over the cap when every remaining owned snapshot is referenced (0 when under). */
  overCapBy: number;
}

/** Evicts owned, unreferenced snapshots from `cacheDir` until the owned bytes fit `maxBytes`. */
export async function evictOwnedCache(
  cacheDir: string,
  o: { owned: OwnedSnapshot[]; keep: CacheRef[]; maxBytes: number },
): Promise<EvictionReport> {
  const key = (r: CacheRef) => `${r.repo}@${r.commit}`;
  const kept = new Set(o.keep.map(key));
  const sizes = new Map<string, number>();
  for (const s of o.owned) for (const b of s.blobs) sizes.set(b, await sizeOf(join(cacheDir, b)));
  let ownedBytes = [...sizes.values()].reduce((a, b) => a + b, 0);
  const report: EvictionReport = { removed: [], freedBytes: 0, ownedBytes, overCapBy: 0 };
  const candidates = o.owned.filter((s) => !kept.has(key(s))).sort((a, b) => a.usedMs - b.usedMs);
  for (const s of candidates) {
    if (ownedBytes <= o.maxBytes) break;
    const folder = join(cacheDir, cacheFolderName(s.repo));
    await Deno.remove(join(folder, "snapshots", s.commit), { recursive: true }).catch(() => {});
    const linked = await linkedBlobs(folder);
    for (const b of s.blobs) {
      const path = resolve(cacheDir, b);
      if (linked.has(path) || !sizes.has(b)) continue;
      await Deno.remove(path).catch(() => {});
      report.freedBytes += sizes.get(b)!;
      ownedBytes -= sizes.get(b)!;
      sizes.delete(b);
    }
    report.removed.push(s);
  }
  report.ownedBytes = ownedBytes;
  report.overCapBy = Math.max(0, ownedBytes - o.maxBytes);
  return report;
}

/** Real paths of the blobs that the snapshots of one repo folder link to. */
async function linkedBlobs(folder: string): Promise<Set<string>> {
  const out = new Set<string>();
  const walk = async (dir: string) => {
    for await (const e of readDirSafe(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory) await walk(path);
      else if (e.isSymlink) out.add(resolve(dir, await Deno.readLink(path)));
    }
  };
  await walk(join(folder, "snapshots"));
  return out;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return 0;
  }
}

async function* readDirSafe(dir: string): AsyncGenerator<Deno.DirEntry> {
  try {
    yield* Deno.readDir(dir);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}
