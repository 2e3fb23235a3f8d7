/**
 * The model-store flags of the commands that need a store but no chain (`worker`, `pseudograd
 * pull`): the Hub or a local store directory, and where models are cached.
 */
import { EMBEDDED_DEFAULTS, hfOffline, type ModelStore, openModelStore } from "../../src/mod.ts";
import type { Values } from "./command.ts";
import { flags } from "./flag.ts";

export const storeFlags = {
  "model-store": flags.choice(
    "where models come from: the Hugging Face Hub, or a local store directory",
    [
      "hf",
      "local",
    ] as const,
    { default: "hf" },
  ),
  "store-dir": flags.path("the local model store (with --model-store local)", { default: EMBEDDED_DEFAULTS.storeDir }),
  "cache-dir": flags.path("the model cache of a local store", { default: ".cache" }),
  offline: flags.boolean("the Hugging Face cache only (also HF_HUB_OFFLINE=1)"),
};

/** The store the flags name, its model cache, and how to say where models come from. */
export async function openStoreFromFlags(
  f: Values<typeof storeFlags>,
  log: (line: string) => void,
): Promise<{ store: ModelStore; modelCacheDir: string; where: string }> {
  const env = (name: string) => Deno.env.get(name);
  const offline = f.offline || hfOffline(env);
  const opened = await openModelStore({
    kind: f["model-store"],
    storeDir: f["store-dir"],
    cacheDir: f["cache-dir"],
    offline,
    env,
    log,
  });
  const where = f["model-store"] === "local"
    ? f["store-dir"]
    : offline
    ? "the Hugging Face cache"
    : "the Hugging Face Hub";
  return { ...opened, where };
}
