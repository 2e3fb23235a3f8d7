/**
 * What travels on the queue, as JSON. A job names one model of one step: the commitment (hotkey,
 * repo, revision, secure hash), its competition, the step's stream hash and where its token data
 * is, and the scoring settings that must match the coordinator's. A window job (`kind: "window"`)
 * names one part of a pseudo-gradient window: the global model's own losses, or one peer's
 * update measured against it. A result carries the record a local evaluation would have made
 * (a window job's losses in `taskLosses`), the stream hash the worker checked, and who did it. All
 * are parsed as untrusted input: a malformed message is refused with the rule it broke.
 */
import { formatReason } from "../../eval/mod.ts";
import type { Competition } from "../competitions/mod.ts";
import { isBase64Sha256 } from "../metadata/mod.ts";
import { checkCodec, type CodecSettings } from "../pseudograd/mod.ts";
import type { EvalRecord, StepBaseline, TrackedModel } from "../validator/mod.ts";

/** The wire format's version; a message of another version is refused. */
export const WIRE_VERSION = 1;

/** The most bytes a message may have (a competition with its tasks is the largest part). */
export const MAX_MESSAGE_BYTES = 256 << 10;

/** One model's evaluation in one step. */
export interface JobMessage {
  v: typeof WIRE_VERSION;
  /** `stepKey.hotkey`: the model's place in the step. */
  key: string;
  /** The queue message id of this issue of the job (`key`, or `key~n` when reissued); its result's too. */
  id: string;
  stepKey: string;
  stepId: number;
  model: Pick<TrackedModel, "hotkey" | "uid" | "repo" | "revision" | "secureHash" | "commitBlock">;
  competition: Competition;
  /** The step's stream hash (step_data.ts); also the name of its data in the bucket. */
  streamSha256: string;
  eosTokenId: number;
  batchSize: number;
  timeLimitMs: number;
  /** Workers a job may be delivered to before it is recorded as failed (a model that kills its workers). */
  maxAttempts: number;
  /** In an adapter competition: the step's base result, so the worker checks the base but does not score it. */
  baseline?: StepBaseline;
}

/** One part of a pseudo-gradient window's measurement. */
export interface WindowJobMessage {
  v: typeof WIRE_VERSION;
  kind: "window";
  /** `stepKey.global`, or `stepKey.uid-N` for a peer. */
  key: string;
  id: string;
  stepKey: string;
  competitionId: number;
  window: number;
  /** The window's global checkpoint: the pinned base, or the validator's published checkpoint. */
  global: { repo: string; revision: string; hash: string };
  codec: CodecSettings;
  /** SHA-256 (hex) of the window's data in the bucket, also its name there (window_data_blob.ts). */
  streamSha256: string;
  batchSize: number;
  maxAttempts: number;
  /** θ' = θ − scale·factor·decode(Δ). */
  scale: number;
  /** The peer whose update is measured; absent for the global model's own losses. */
  peer?: { uid: number; repo: string; revision: string; sha256: string; factors: Record<string, number> };
}

/** A job off the queue, of either kind. */
export type QueueJob = { kind: "model"; job: JobMessage } | { kind: "window"; job: WindowJobMessage };

/** The part of a record a worker measures. */
export type MeasuredRecord = Pick<
  EvalRecord,
  "loss" | "taskLosses" | "status" | "reason" | "loadMs" | "computeMs" | "lossesSha256"
>;

/** A job's outcome. */
export interface ResultMessage {
  v: typeof WIRE_VERSION;
  key: string;
  /** The issue of the job it answers. */
  id: string;
  /** The stream hash the worker's data matched. */
  streamSha256: string;
  record: MeasuredRecord;
  /** Who measured it: "host/pid lane", its device, the engine and project versions. */
  worker: { name: string; device: string; engine: string; version: string };
}

/** The job id of `hotkey` in step `stepKey`. */
export function jobKey(stepKey: string, hotkey: string): string {
  return `${stepKey}.${hotkey}`;
}

/** A window job's key: the global model's part, or a peer's. */
export function windowJobKey(stepKey: string, uid?: number): string {
  return `${stepKey}.${uid === undefined ? "global" : `uid-${uid}`}`;
}

/** Encodes a message. */
export function encodeMessage(m: JobMessage | WindowJobMessage | ResultMessage): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(m));
}

/** Thrown for a message that breaks the wire format. */
export class BadMessage extends Error {
  override name = "BadMessage";
}

/** Parses a job of either kind. Throws `BadMessage`. */
export function parseQueueJob(bytes: Uint8Array): QueueJob {
  const m = parse(bytes, "job");
  return m.kind === "window" ? { kind: "window", job: checkWindowJob(m) } : { kind: "model", job: checkModelJob(m) };
}

/** Parses a model's job. Throws `BadMessage`. */
export function parseJob(bytes: Uint8Array): JobMessage {
  return checkModelJob(parse(bytes, "job"));
}

function checkModelJob(m: Record<string, unknown>): JobMessage {
  const model = m.model as JobMessage["model"] | undefined;
  const c = m.competition as Competition | undefined;
  need(
    typeof m.key === "string" && typeof m.id === "string" && typeof m.stepKey === "string" &&
      Number.isSafeInteger(m.stepId),
    "job",
    "ids",
  );
  need(
    typeof model?.hotkey === "string" && typeof model.repo === "string" && typeof model.revision === "string" &&
      typeof model.secureHash === "string" && Number.isSafeInteger(model.uid) &&
      Number.isSafeInteger(model.commitBlock),
    "job",
    "model",
  );
  need(m.key === jobKey(m.stepKey as string, model!.hotkey), "job", "key (it must be stepKey.hotkey)");
  need(
    typeof c?.id === "number" && Array.isArray(c.tasks) && typeof c.sequenceLength === "number",
    "job",
    "competition",
  );
  need(isHash(m.streamSha256), "job", "streamSha256");
  for (const f of ["eosTokenId", "batchSize", "timeLimitMs", "maxAttempts"] as const) {
    need(Number.isSafeInteger(m[f]) && (m[f] as number) >= 0, "job", f);
  }
  return m as unknown as JobMessage;
}

function checkWindowJob(m: Record<string, unknown>): WindowJobMessage {
  const what = "window job";
  need(typeof m.stepKey === "string" && typeof m.id === "string", what, "ids");
  const peer = m.peer as WindowJobMessage["peer"] | undefined;
  need(
    m.key === windowJobKey(m.stepKey as string, peer?.uid),
    what,
    "key (it must be stepKey.global or stepKey.uid-N)",
  );
  need(Number.isSafeInteger(m.competitionId) && Number.isSafeInteger(m.window), what, "competition or window");
  const g = m.global as WindowJobMessage["global"] | undefined;
  need(
    typeof g?.repo === "string" && typeof g.revision === "string" && isBase64Sha256(g.hash),
    what,
    "global (repo, revision and model hash)",
  );
  try {
    checkCodec(m.codec as CodecSettings);
  } catch {
    need(false, what, "codec");
  }
  need(isHash(m.streamSha256), what, "streamSha256");
  for (const f of ["batchSize", "maxAttempts"] as const) {
    need(Number.isSafeInteger(m[f]) && (m[f] as number) > 0, what, f);
  }
  need(typeof m.scale === "number" && Number.isFinite(m.scale), what, "scale");
  if (peer !== undefined) {
    need(
      Number.isSafeInteger(peer?.uid) && typeof peer.repo === "string" && typeof peer.revision === "string" &&
        isHash(peer.sha256) && typeof peer.factors === "object" && peer.factors !== null &&
        Object.values(peer.factors).every((f) => typeof f === "number" && f > 0 && f <= 1),
      what,
      "peer (uid, repo, revision, sha256, factors in (0, 1])",
    );
  }
  return m as unknown as WindowJobMessage;
}

/** Parses a result. Throws `BadMessage`. */
export function parseResult(bytes: Uint8Array): ResultMessage {
  const m = parse(bytes, "result");
  const r = m.record as MeasuredRecord | undefined;
  const w = m.worker as ResultMessage["worker"] | undefined;
  need(typeof m.key === "string" && typeof m.id === "string", "result", "key");
  need(isHash(m.streamSha256), "result", "streamSha256");
  need(["ok", "rejected", "failed"].includes(r?.status as string), "result", "record.status");
  need(
    r!.status === "ok" ? typeof r!.loss === "number" && Number.isFinite(r!.loss) : r!.loss === null,
    "result",
    "record.loss (a finite number when ok, else null)",
  );
  need(
    typeof r!.taskLosses === "object" && r!.taskLosses !== null &&
      Object.values(r!.taskLosses).every((x) => typeof x === "number"),
    "result",
    "record.taskLosses",
  );
  need(r!.lossesSha256 === null || isHash(r!.lossesSha256), "result", "record.lossesSha256");
  need(r!.reason === null || typeof r!.reason === "string", "result", "record.reason");
  for (const f of ["loadMs", "computeMs"] as const) {
    need(r![f] === null || (typeof r![f] === "number" && r![f]! >= 0), "result", `record.${f}`);
  }
  need(
    typeof w?.name === "string" && typeof w.device === "string" && typeof w.engine === "string" &&
      typeof w.version === "string",
    "result",
    "worker",
  );
  return {
    v: WIRE_VERSION,
    key: m.key as string,
    id: m.id as string,
    streamSha256: m.streamSha256 as string,
    record: {
      status: r!.status,
      reason: r!.reason === null ? null : formatReason(r!.reason!),
      loss: r!.loss,
      taskLosses: r!.taskLosses,
      lossesSha256: r!.lossesSha256,
      loadMs: r!.loadMs,
      computeMs: r!.computeMs,
    },
    worker: {
      name: formatReason(w!.name).slice(0, 80),
      device: formatReason(w!.device).slice(0, 40),
      engine: formatReason(w!.engine).slice(0, 40),
      version: formatReason(w!.version).slice(0, 40),
    },
  };
}

function parse(bytes: Uint8Array, what: string): Record<string, unknown> {
  if (bytes.length > MAX_MESSAGE_BYTES) throw new BadMessage(`a ${what} of ${bytes.length} bytes is over the limit`);
  let m: unknown;
  try {
    m = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new BadMessage(`a ${what} that is not JSON`);
  }
  need(typeof m === "object" && m !== null && !Array.isArray(m), what, "shape (an object)");
  const o = m as Record<string, unknown>;
  need(o.v === WIRE_VERSION, what, `version (this build reads ${WIRE_VERSION}, got ${formatReason(String(o.v))})`);
  return o;
}

function need(ok: boolean, what: string, field: string): asserts ok {
  if (!ok) throw new BadMessage(`a ${what} with a bad ${field}`);
}

function isHash(v: unknown): v is string {
  return typeof v === "string" && /^[0-9a-f]{64}$/.test(v);
}
