/**
 * On-disk cache of validated datasets-server replies, keyed by (dataset, config, split, offset,
 * length), so re-evaluations and restarts do not refetch. Entries are written to a temporary
 * file and renamed, so a kill never leaves a half-written entry; an unreadable entry is a miss.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";

/** A cache directory of JSON entries. */
export class PageCache {
  constructor(readonly dir: string) {}

  /** The cached value for a key, or undefined. */
  async get<T>(key: readonly (string | number)[]): Promise<T | undefined> {
    try {
      const entry = JSON.parse(await Deno.readTextFile(this.#path(key)));
      return JSON.stringify(entry.key) === JSON.stringify(key) ? entry.value as T : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stores a value atomically. */
  async set(key: readonly (string | number)[], value: unknown): Promise<void> {
    await Deno.mkdir(this.dir, { recursive: true });
    const path = this.#path(key), tmp = `${path}.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify({ key, value }));
    await Deno.rename(tmp, path);
  }

  #path(key: readonly (string | number)[]): string {
    return join(this.dir, createHash("sha256").update(JSON.stringify(key)).digest("hex").slice(0, 32) + ".json");
  }
}
