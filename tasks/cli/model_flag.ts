/**
 * `--model` for the commands a miner runs by hand: a directory or a Hub repo id
 * (`namespace/name[@revision]`), resolved by `modelArgument`; a value that is neither is a usage
 * error (exit 2).
 */
import { type ModelArgument, modelArgument, ModelArgumentRefused } from "../../src/mod.ts";
import { flags, UsageError } from "./flag.ts";

/** The flag, described for `--help`. */
export function modelFlag(what: string) {
  return flags.string(`${what}: a directory, or a Hub repo id fetched into the HF cache`, {
    placeholder: "<dir|ns/name[@rev]>",
  });
}

/** The model `--model` names; download progress goes to stderr unless `quiet`. */
export async function resolveModelFlag(spec: string, o: { quiet?: boolean } = {}): Promise<ModelArgument> {
  try {
    return await modelArgument(spec, { log: o.quiet ? undefined : (line) => console.error(line) });
  } catch (e) {
    throw e instanceof ModelArgumentRefused ? new UsageError(`--model: ${e.message}`) : e;
  }
}
