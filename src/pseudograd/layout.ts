/**
 * What a pseudo-gradient submission for one global model must hold (`pseudograd-v1`): one entry
 * per stored parameter tensor of the checkpoint, under its name in the file (GPT-2's bare keys
 * stay bare; a tied head and buffers such as the causal mask have none), in sorted name order,
 * each with the chunking, the clamped k and the shapes and byte sizes of its four tensors. The
 * geometry comes from the validator's own copy of the model, never from the file.
 */
import { type ChunkGeometry, chunkGeometry } from "./chunking.ts";
import type { CodecSettings } from "./codec.ts";
import { clampTopk } from "./topk.ts";

/** One parameter's place in a submission. */
export interface ParameterLayout {
  name: string;
  geometry: ChunkGeometry;
  k: number;
  /** `P.vals`: `[Y, X, k]` for a 2-D parameter, `[X, k]` for a 1-D one. */
  codesShape: number[];
  /** Kept values: chunks · k. */
  kept: number;
  /** `P.idxs` bytes: 3·kept/2. */
  idxsBytes: number;
}

/** The parameters of a submission, in sorted name order. */
export interface SubmissionLayout {
  codec: CodecSettings;
  parameters: ParameterLayout[];
  /** Every tensor's bytes together: what the data section of a valid file holds. */
  dataBytes: number;
}

/** The largest position a 12-bit index can name, plus one. */
const INDEX_LIMIT = 4096;

/** Refuses a codec the wire format cannot carry (one line naming the setting). */
export function checkCodec(c: CodecSettings): void {
  const bad = (what: string) => {
    throw new RangeError(`codec ${what}`);
  };
  if (!Number.isSafeInteger(c.chunk) || c.chunk < 1 || c.chunk * c.chunk > INDEX_LIMIT) {
    bad(`chunk ${c.chunk} must be an integer in [1, 64] (a chunk's positions must fit in 12 bits)`);
  }
  if (!Number.isSafeInteger(c.topk) || c.topk < 2) bad(`topk ${c.topk} must be an integer ≥ 2`);
  if (!Number.isSafeInteger(c.bins) || c.bins < 2 || c.bins > 256) bad(`bins ${c.bins} must be an integer in [2, 256]`);
  if (!(Number.isFinite(c.range) && c.range > 0)) bad(`range ${c.range} must be a positive number`);
}

/** The layout for parameters `{name, shape}` under `codec`; throws `RangeError` naming a parameter it cannot carry. */
export function submissionLayout(
  parameters: Iterable<{ name: string; shape: readonly number[] }>,
  codec: CodecSettings,
): SubmissionLayout {
  checkCodec(codec);
  const sorted = [...parameters].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let dataBytes = 0;
  const out = sorted.map(({ name, shape }): ParameterLayout => {
    let geometry: ChunkGeometry, k: number;
    try {
      geometry = chunkGeometry(shape, codec.chunk);
      k = clampTopk(codec.topk, geometry.totalk);
    } catch (e) {
      throw new RangeError(
        `parameter "${name}" ${JSON.stringify(shape)} cannot be sent as a pseudo-gradient: ${(e as Error).message}`,
      );
    }
    const kept = geometry.chunks * k;
    dataBytes += (kept * 3) / 2 + kept + 4 * codec.bins + 4;
    return { name, geometry, k, codesShape: [...geometry.grid, k], kept, idxsBytes: (kept * 3) / 2 };
  });
  return { codec, parameters: out, dataBytes };
}
