/**
 * A step's token sequences as one object in the queue's object store (sequence_blob.ts), with each
 * task's spec and manifest in its header. Decoding checks each task's sequences against its manifest's SHA-256 and the whole
 * against the step's stream hash, so a worker never scores a model on anything but the
 * coordinator's data.
 */
import { createHash } from "node:crypto";
import { type TaskData, tokenStreamHash } from "../data/mod.ts";
import { decodeSequenceBlob, encodeSequenceBlob } from "./sequence_blob.ts";

/** The step's stream hash: SHA-256 over each task's id and its sequences' SHA-256, in task order. */
export function stepStreamHash(tasks: readonly Pick<TaskData, "task" | "manifest">[]): string {
  const h = createHash("sha256");
  for (const t of tasks) h.update(`${t.task.id}\n${t.manifest.streamSha256}\n`);
  return h.digest("hex");
}

/** The step's tasks as bytes (sequence_blob.ts, each task's spec, manifest and lengths in the header). */
export function encodeStepData(tasks: readonly TaskData[]): Uint8Array {
  const header = {
    tasks: tasks.map((t) => ({ task: t.task, manifest: t.manifest, lengths: t.sequences.map((s) => s.length) })),
  };
  return encodeSequenceBlob(header, tasks.map((t) => t.sequences));
}

/** Thrown when a step's data is malformed or is not the data its hash names. */
export class StepDataMismatch extends Error {
  override name = "StepDataMismatch";
}

/** Decodes `bytes`, checking them against the step's stream hash `expected`. Throws `StepDataMismatch`. */
export function decodeStepData(bytes: Uint8Array, expected: string): TaskData[] {
  const fail = (why: string): never => {
    throw new StepDataMismatch(`the step's token data ${why}`);
  };
  type Entry = Partial<TaskData & { lengths: number[] }>;
  const { header, groups } = decodeSequenceBlob<{ tasks?: Entry[] }>(bytes, fail, (h) => {
    if (!Array.isArray(h?.tasks)) fail("has no task list");
    return h.tasks!.map((raw) => {
      const { task, manifest, lengths } = raw ?? {};
      if (typeof task?.id !== "string" || typeof manifest?.streamSha256 !== "string" || !Array.isArray(lengths)) {
        fail("has a task without its spec, manifest or sequence lengths");
      }
      return { name: `task ${JSON.stringify(task!.id.slice(0, 40))}`, lengths: lengths! };
    });
  });
  const tasks = header.tasks!.map(({ task, manifest }, i) => {
    if (tokenStreamHash(groups[i]) !== manifest!.streamSha256) {
      fail(`of task ${JSON.stringify(task!.id.slice(0, 40))} does not match its manifest's SHA-256`);
    }
    return { task: task!, manifest: manifest!, sequences: groups[i] };
  });
  const actual = stepStreamHash(tasks);
  if (actual !== expected) fail(`hashes to ${actual.slice(0, 16)}…, not the step's ${expected.slice(0, 16)}…`);
  return tasks;
}
