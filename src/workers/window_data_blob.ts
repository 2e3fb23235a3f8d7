/**
 * A pseudo-gradient window's sequences in the queue's bucket (sequence_blob.ts): the common random
 * ones, the held-out ones and each peer's own, named in the header. The object's name is the
 * SHA-256 of its bytes, and a worker reads nothing that does not hash to the name its job gives.
 */
import { createHash } from "node:crypto";
import type { WindowData } from "../pseudograd/mod.ts";
import { decodeSequenceBlob, encodeSequenceBlob } from "./sequence_blob.ts";
import { StepDataMismatch } from "./step_data.ts";

type SetEntry = { set: "random" | "held_out" | "own"; uid?: number; lengths: number[] };

/** The window's data as bytes, and their SHA-256 (hex), its name in the bucket. */
export function encodeWindowData(data: WindowData): { bytes: Uint8Array; sha256: string } {
  const sets: { entry: Omit<SetEntry, "lengths">; sequences: number[][] }[] = [
    { entry: { set: "random" }, sequences: data.random },
    ...(data.heldOut ? [{ entry: { set: "held_out" as const }, sequences: data.heldOut }] : []),
    ...[...data.own].sort((a, b) => a[0] - b[0]).map(([uid, sequences]) => ({
      entry: { set: "own" as const, uid },
      sequences,
    })),
  ];
  const header = {
    format: "sn9-window-data-v1",
    sets: sets.map((s) => ({ ...s.entry, lengths: s.sequences.map((x) => x.length) })),
  };
  const bytes = encodeSequenceBlob(header, sets.map((s) => s.sequences));
  return { bytes, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/** Reads a window's data, which must hash to `sha256`. Throws `StepDataMismatch`. */
export function decodeWindowData(bytes: Uint8Array, sha256: string): WindowData {
  const fail = (why: string): never => {
    throw new StepDataMismatch(`the window's data ${why}`);
  };
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== sha256) fail(`hashes to ${actual.slice(0, 16)}…, not the job's ${sha256.slice(0, 16)}…`);
  const { header, groups } = decodeSequenceBlob<{ format?: string; sets?: SetEntry[] }>(bytes, fail, (h) => {
    if (h?.format !== "sn9-window-data-v1" || !Array.isArray(h.sets)) fail("has no set list");
    return h.sets!.map((s) => {
      if (!["random", "held_out", "own"].includes(s?.set) || (s.set === "own" && !Number.isSafeInteger(s.uid))) {
        fail("names a set that is not random, held_out or a uid's own");
      }
      return { name: s.set === "own" ? `uid ${s.uid}'s own sequences` : `the ${s.set} sequences`, lengths: s.lengths };
    });
  });
  const own = new Map<number, number[][]>();
  let random: number[][] = [], heldOut: number[][] | undefined;
  header.sets!.forEach((s, i) => {
    const sequences = groups[i].map((x) => Array.from(x));
    if (s.set === "random") random = sequences;
    else if (s.set === "held_out") heldOut = sequences;
    else own.set(s.uid!, sequences);
  });
  return { random, heldOut, own };
}
