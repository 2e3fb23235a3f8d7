/**
 * The Hugging Face token: `HF_TOKEN`, else the file `huggingface-cli login` writes
 * (`$HF_TOKEN_PATH`, else `$HF_HOME/token`, else `~/.cache/huggingface/token`). Never logged.
 */
import { join } from "node:path";

/** The token, or undefined for anonymous access. */
export async function hfToken(): Promise<string | undefined> {
  const fromEnv = Deno.env.get("HF_TOKEN");
  if (fromEnv) return fromEnv;
  const home = Deno.env.get("HOME") ?? ".";
  const path = Deno.env.get("HF_TOKEN_PATH") ??
    join(Deno.env.get("HF_HOME") ?? join(home, ".cache", "huggingface"), "token");
  try {
    return (await Deno.readTextFile(path)).trim() || undefined;
  } catch {
    return undefined;
  }
}
