/**
 * A step's token sequences as one object in the queue's object store, so they travel once per
 * step, not once per job. Layout: the header's length (u32, little-endian), the header as JSON
 * (each task's spec and manifest), then every sequence's token ids as little-endian i32, task
 * after task. Decoding checks each task's sequences against its manifest's SHA-256 and the whole
 * against the step's stream hash, so a worker never scores a model on anything but the
 * coordinator's data.
 */
import { createHash } from "node:crypto";
import { type TaskData, tokenStreamHash } from "../data/mod.ts";

/** The most header a step's data may carry (the manifests of its tasks). */
const MAX_HEADER_BYTES = 16 << 20;

/** The step's stream hash: SHA-256 over each task's id and its sequences' SHA-256, in task order. */
export function stepStreamHash(tasks: readonly Pick<TaskData, "task" | "manifest">[]): string {
  const h = createHash("sha256");
  for (const t of tasks) h.update(`${t.task.id}\n${t.manifest.streamSha256}\n`);
  return h.digest("hex");
}

/** The step's tasks as bytes. */
export function encodeStepData(tasks: readonly TaskData[]): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({
    tasks: tasks.map((t) => ({ task: t.task, manifest: t.manifest, lengths: t.sequences.map((s) => s.length) })),
  }));
  const tokens = tasks.reduce((n, t) => n + t.sequences.reduce((m, s) => m + s.length, 0), 0);
  const out = new Uint8Array(4 + header.length + 4 * tokens);
  const view = new DataView(out.buffer);
  view.setUint32(0, header.length, true);
  out.set(header, 4);
  let at = 4 + header.length;
  for (const t of tasks) {
    for (const s of t.sequences) {
      for (const id of s) {
        view.setInt32(at, id, true);
        at += 4;
      }
    }
  }
  return out;
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
  if (bytes.length < 4) fail(`is ${bytes.length} bytes, shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true);
  if (headerLength > MAX_HEADER_BYTES || 4 + headerLength > bytes.length) {
    fail(`declares a ${headerLength}-byte header in ${bytes.length} bytes`);
  }
  let header: { tasks?: unknown };
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(4, 4 + headerLength)));
  } catch (e) {
    return fail(`has a header that is not JSON (${(e as Error).message.slice(0, 80)})`);
  }
  if (!Array.isArray(header?.tasks)) fail("has no task list");
  let at = 4 + headerLength;
  const tasks: TaskData[] = [];
  for (const raw of header.tasks as Partial<TaskData & { lengths: number[] }>[]) {
    const { task, manifest, lengths } = raw ?? {};
    if (
      typeof task?.id !== "string" || typeof manifest?.streamSha256 !== "string" || !Array.isArray(lengths) ||
      !lengths.every((n) => Number.isSafeInteger(n) && n >= 0)
    ) {
      fail("has a task without its spec, manifest or sequence lengths");
    }
    const sequences: Int32Array[] = [];
    for (const n of lengths!) {
      if (at + 4 * n > bytes.length) fail(`ends inside task ${JSON.stringify(task!.id.slice(0, 40))}`);
      const s = new Int32Array(n);
      for (let i = 0; i < n; i++, at += 4) s[i] = view.getInt32(at, true);
      sequences.push(s);
    }
    if (tokenStreamHash(sequences) !== manifest!.streamSha256) {
      fail(`of task ${JSON.stringify(task!.id.slice(0, 40))} does not match its manifest's SHA-256`);
    }
    tasks.push({ task: task!, manifest: manifest!, sequences });
  }
  if (at !== bytes.length) fail(`has ${bytes.length - at} bytes after its last sequence`);
  const actual = stepStreamHash(tasks);
  if (actual !== expected) fail(`hashes to ${actual.slice(0, 16)}…, not the step's ${expected.slice(0, 16)}…`);
  return tasks;
}
