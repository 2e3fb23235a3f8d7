/** The `--codec` flag's JSON as codec settings, or a usage error naming what is wrong. */
import { checkCodec, type CodecSettings } from "../../src/mod.ts";
import { UsageError } from "../cli/mod.ts";

/** Checks `text` is the JSON of `{chunk, topk, bins, range}` the wire format can carry. */
export function codecFromFlag(text: string): CodecSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError(`--codec must be JSON like {"chunk":64,"topk":64,"bins":4,"range":6}`);
  }
  const keys = ["chunk", "topk", "bins", "range"];
  const o = raw as Record<string, unknown>;
  if (
    typeof o !== "object" || o === null || Array.isArray(o) || Object.keys(o).sort().join() !== [...keys].sort().join()
  ) {
    throw new UsageError(`--codec must be an object with exactly ${keys.join(", ")}`);
  }
  const codec = o as unknown as CodecSettings;
  try {
    checkCodec(codec);
  } catch (e) {
    throw new UsageError(`--codec: ${(e as Error).message}`);
  }
  return codec;
}
