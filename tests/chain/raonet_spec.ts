/**
 * The chain spec the real-runtime suites run, got the way a dependency is got: opentensor/subtensor's
 * `scripts/specs/raonet.json` (spec_version 218, the dynamic-TAO "rao" runtime's wasm and a state
 * with subnets 0 and 1), pinned by the commit that last changed it and by its sha256.
 *
 * Where it comes from, first found first:
 * 1. `SUBTENSOR_SPEC`: a path the user gives (the JSON, or it gzipped). A file there that is not the
 *    pinned spec is an error, not a skip: the user asked for it.
 * 2. The verified copy cached in `.cache/subtensor/` by an earlier run.
 * 3. `shared/chain/raonet.json.gz` in the folder that holds the checkout, where there is one.
 * 4. A download from GitHub at the pinned commit, checked, then cached.
 * When none can be had, the suites register one ignored test each that says why.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";

/** The pinned spec: where it lives upstream and what its bytes hash to. */
export const RAONET = {
  commit: "e2b8367b8be2d9ce60ae5858c49138fa05f44a68", // "final deployment of rao to mainnet", 2025-02-13
  url:
    "https://raw.githubusercontent.com/opentensor/subtensor/e2b8367b8be2d9ce60ae5858c49138fa05f44a68/scripts/specs/raonet.json",
  sha256: "bb2c7e34390f8fb5032750cc7d80d23f91a47f56fdebf4c35a24c7938b96c57c",
  bytes: 1_708_326,
};

/** The spec as a plain JSON file on disk, or the reason there is none. */
export type SpecFound = { path: string; from: string } | { missing: string };

export interface SpecSources {
  /** `SUBTENSOR_SPEC`'s value, if set. */
  given?: string;
  /** Where a verified copy is kept. */
  cacheDir: string;
  /** Local copies to try before the download (e.g. shared/chain/raonet.json.gz beside the checkout). */
  beside: string[];
  url: string;
  sha256: string;
  /** How long the download may take. */
  downloadMs?: number;
}

/** The sources this checkout has: `SUBTENSOR_SPEC`, .cache/subtensor, shared/chain beside it, GitHub. */
export function defaultSources(): SpecSources {
  const root = new URL("../../", import.meta.url).pathname;
  return {
    given: Deno.env.get("SUBTENSOR_SPEC") || undefined,
    cacheDir: join(root, ".cache", "subtensor"),
    beside: [join(root, "..", "shared", "chain", "raonet.json.gz")],
    url: RAONET.url,
    sha256: RAONET.sha256,
  };
}

/** Finds, checks and caches the spec. Throws only when `given` names a file that is not it. */
export async function findSpec(s: SpecSources): Promise<SpecFound> {
  const cached = join(s.cacheDir, `raonet-${s.sha256.slice(0, 12)}.json`);
  if (s.given) {
    const bytes = await readSpec(s.given);
    const got = sha256(bytes);
    if (got !== s.sha256) {
      throw new Error(`SUBTENSOR_SPEC=${s.given} is not the pinned raonet spec: sha256 ${got}, want ${s.sha256}`);
    }
    await keep(cached, bytes);
    return { path: cached, from: `SUBTENSOR_SPEC (${s.given})` };
  }
  const tried: string[] = ["SUBTENSOR_SPEC is unset"];
  const copy = await Deno.readFile(cached).catch(() => undefined);
  if (copy && sha256(copy) === s.sha256) return { path: cached, from: "the verified copy in .cache" };
  for (const path of s.beside) {
    const bytes = await readSpec(path).catch(() => undefined);
    if (!bytes) {
      tried.push(`no ${path}`);
      continue;
    }
    if (sha256(bytes) !== s.sha256) {
      tried.push(`${path} does not hash to the pinned sha256`);
      continue;
    }
    await keep(cached, bytes);
    return { path: cached, from: path };
  }
  try {
    const response = await fetch(s.url, { signal: AbortSignal.timeout(s.downloadMs ?? 60_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const got = sha256(bytes);
    if (got !== s.sha256) throw new Error(`it hashes to ${got}, not the pinned ${s.sha256}`);
    await keep(cached, bytes);
    return { path: cached, from: s.url };
  } catch (e) {
    tried.push(`the download from ${s.url} failed (${String(e instanceof Error ? e.message : e).slice(0, 200)})`);
  }
  return { missing: `the raonet spec could not be had: ${tried.join("; ")}` };
}

/** A spec file's bytes, gunzipped when it is gzip (by its magic number, not its name). */
async function readSpec(path: string): Promise<Uint8Array> {
  const bytes = await Deno.readFile(path);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  return new Uint8Array(
    await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer(),
  );
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Writes the checked bytes to the cache by rename, so a reader never sees half a file. */
async function keep(path: string, bytes: Uint8Array): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeFile(tmp, bytes);
  await Deno.rename(tmp, path);
}
