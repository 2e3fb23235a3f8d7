/**
 * The conventions every Hugging Face tool honours, read the way huggingface_hub reads them
 * (`constants.py`, `utils/_auth.py`), so a validator shares its cache, token and mirror with the
 * rest of a user's HF tools:
 *
 *   endpoint   HF_ENDPOINT, else https://huggingface.co (trailing "/" dropped)
 *   home       HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface
 *   hub cache  HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE (legacy), else {home}/hub
 *   offline    HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is one of 1, ON, YES, TRUE (any case)
 *   token      HF_TOKEN, else HUGGING_FACE_HUB_TOKEN (deprecated), else the file HF_TOKEN_PATH,
 *              else {home}/token; whitespace and newlines stripped, empty means none
 *
 * Every function takes an `env` lookup (default: the process environment) so tests can check
 * each rule without touching the process's variables. Tokens are never logged.
 */
import { join } from "node:path";

/** Reads one environment variable. */
export type EnvLookup = (name: string) => string | undefined;

const processEnv: EnvLookup = (name) => Deno.env.get(name);

/** The Hub's public endpoint. */
export const DEFAULT_HF_ENDPOINT = "https://huggingface.co";

/** The Hub endpoint (a mirror when HF_ENDPOINT is set). */
export function hfEndpoint(env: EnvLookup = processEnv): string {
  return (env("HF_ENDPOINT") || DEFAULT_HF_ENDPOINT).replace(/\/+$/, "");
}

/** The Hugging Face home directory. */
export function hfHome(env: EnvLookup = processEnv): string {
  const home = env("HOME") ?? ".";
  return expandHome(env("HF_HOME") || join(env("XDG_CACHE_HOME") || join(home, ".cache"), "huggingface"), home);
}

/** The shared model cache directory (`models--{ns}--{name}/blobs|snapshots|refs`). */
export function hfHubCache(env: EnvLookup = processEnv): string {
  const explicit = env("HF_HUB_CACHE") || env("HUGGINGFACE_HUB_CACHE");
  return explicit ? expandHome(explicit, env("HOME") ?? ".") : join(hfHome(env), "hub");
}

/** Whether the user asked every HF tool to stay offline (cache only). */
export function hfOffline(env: EnvLookup = processEnv): boolean {
  const truthy = (v: string | undefined) => ["1", "ON", "YES", "TRUE"].includes((v ?? "").trim().toUpperCase());
  return truthy(env("HF_HUB_OFFLINE")) || truthy(env("TRANSFORMERS_OFFLINE"));
}

/** The token for the Hub and the datasets-server, or undefined for anonymous access. */
export async function hfToken(env: EnvLookup = processEnv): Promise<string | undefined> {
  const fromEnv = clean(env("HF_TOKEN")) ?? clean(env("HUGGING_FACE_HUB_TOKEN"));
  if (fromEnv) return fromEnv;
  const path = env("HF_TOKEN_PATH")
    ? expandHome(env("HF_TOKEN_PATH")!, env("HOME") ?? ".")
    : join(hfHome(env), "token");
  try {
    return clean(await Deno.readTextFile(path));
  } catch {
    return undefined;
  }
}

function clean(token: string | undefined): string | undefined {
  return token?.replaceAll("\r", "").replaceAll("\n", "").trim() || undefined;
}

function expandHome(path: string, home: string): string {
  return path === "~" || path.startsWith("~/") ? join(home, path.slice(1)) : path;
}
