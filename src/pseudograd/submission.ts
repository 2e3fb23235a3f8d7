/**
 * The `pseudograd-v1` submission file: one safetensors file per window, never a pickle. For every
 * parameter `P` of the layout: `P.idxs` U8 `[3N/2]` (12-bit packed positions), `P.vals` U8
 * `[…grid, k]` (codes below `bins`), `P.lookup` F32 `[bins]` and `P.shift` F32 `[]`; and string
 * metadata `format`, `window`, `base` (the model hash of the checkpoint it was computed on) and
 * `codec` (JSON). Read as strictly as model files: the exact tensor set, dtypes and shapes the
 * validator's own model implies, indices below the chunk size and unique within a chunk, finite
 * lookup and shift no larger than 1e4, and no byte beyond what the format implies. Each refusal is
 * a `SubmissionRefused` naming its rule in one bounded line.
 */
import { assembleSafetensors, formatReason, parseSafetensorsHeader, previewValue } from "../../eval/mod.ts";
import { isBase64Sha256 } from "../metadata/mod.ts";
import type { CodecSettings, CompressedParameter } from "./codec.ts";
import { checkCodec, type ParameterLayout, type SubmissionLayout } from "./layout.ts";
import { unpack12 } from "./pack12.ts";

/** The format's name in `__metadata__.format`. */
export const PSEUDOGRAD_FORMAT = "pseudograd-v1";
/** The file a miner's repo holds for a window. */
export const SUBMISSION_FILE = "pseudograd.safetensors";
/** The largest |lookup| or |shift| accepted. */
export const MAX_WIRE_VALUE = 1e4;

/** What a submission says about itself. */
export interface SubmissionMeta {
  window: number;
  /** The model hash (base64 SHA-256) of the checkpoint the pseudo-gradient was computed on. */
  base: string;
  codec: CodecSettings;
}

/** One parameter as read from a valid file. */
export type WireParameter = Pick<CompressedParameter, "idxs" | "codes" | "lookup" | "shift">;

/** A submission whose every rule held. */
export interface Submission {
  meta: SubmissionMeta;
  /** By parameter name, in the layout's order. */
  parameters: Map<string, WireParameter>;
}

/** Why a submission was refused. */
export type SubmissionRule =
  | "size"
  | "header"
  | "tensors"
  | "metadata"
  | "codec"
  | "indices"
  | "codes"
  | "values"
  | "window"
  | "base";

/** A submission broke `rule`; the message is one bounded line. */
export class SubmissionRefused extends Error {
  override name = "SubmissionRefused";
  constructor(readonly rule: SubmissionRule, message: string) {
    super(formatReason(message));
  }
}

const WIRE_DTYPES = { U8: 1, F32: 4 } as const;
const SUFFIXES = ["idxs", "vals", "lookup", "shift"] as const;
const META_KEYS = ["format", "window", "base", "codec"];
/** Header bytes allowed: the JSON of every entry with room to spare, never more than 16 MiB. */
const headerCap = (layout: SubmissionLayout) =>
  Math.min(16 * 2 ** 20, 4096 + layout.parameters.reduce((n, p) => n + 4 * (2 * p.name.length + 160), 0));

/** The largest file a layout allows. */
export function maxSubmissionBytes(layout: SubmissionLayout): number {
  return 8 + headerCap(layout) + layout.dataBytes;
}

/** Refuses a file larger than the format implies for `layout` (before it is read, where the size is known). */
function checkSubmissionSize(size: number, layout: SubmissionLayout, label: string): void {
  if (size > maxSubmissionBytes(layout)) {
    throw new SubmissionRefused(
      "size",
      `${label}: ${size} bytes, over the ${maxSubmissionBytes(layout)} this model's pseudo-gradient takes`,
    );
  }
}

/** Writes a submission: the tensors in sorted name order, the data section 8-aligned. */
export function encodeSubmission(
  layout: SubmissionLayout,
  parameters: ReadonlyMap<string, WireParameter>,
  meta: SubmissionMeta,
): Uint8Array {
  const header: Record<string, unknown> = {
    __metadata__: {
      format: PSEUDOGRAD_FORMAT,
      window: String(meta.window),
      base: meta.base,
      codec: JSON.stringify(meta.codec),
    },
  };
  const blobs: Uint8Array[] = [];
  let at = 0;
  const put = (name: string, dtype: "U8" | "F32", shape: number[], bytes: Uint8Array) => {
    header[name] = { dtype, shape, data_offsets: [at, at + bytes.length] };
    blobs.push(bytes);
    at += bytes.length;
  };
  for (const p of layout.parameters) {
    const w = parameters.get(p.name);
    if (!w) throw new RangeError(`no values for parameter "${p.name}"`);
    put(`${p.name}.idxs`, "U8", [p.idxsBytes], w.idxs);
    put(`${p.name}.lookup`, "F32", [layout.codec.bins], new Uint8Array(Float32Array.from(w.lookup).buffer));
    put(`${p.name}.shift`, "F32", [], new Uint8Array(Float32Array.of(w.shift).buffer));
    put(`${p.name}.vals`, "U8", p.codesShape, w.codes);
  }
  return assembleSafetensors(header, blobs);
}

/** Reads and checks a submission against `layout`; throws `SubmissionRefused`. */
export function readSubmission(bytes: Uint8Array, layout: SubmissionLayout, label = SUBMISSION_FILE): Submission {
  const refuse = (rule: SubmissionRule, text: string): never => {
    throw new SubmissionRefused(rule, `${label}: ${text}`);
  };
  checkSubmissionSize(bytes.length, layout, label);
  const expected = new Map<string, { p: ParameterLayout; dtype: string; shape: number[] }>();
  for (const p of layout.parameters) {
    expected.set(`${p.name}.idxs`, { p, dtype: "U8", shape: [p.idxsBytes] });
    expected.set(`${p.name}.vals`, { p, dtype: "U8", shape: p.codesShape });
    expected.set(`${p.name}.lookup`, { p, dtype: "F32", shape: [layout.codec.bins] });
    expected.set(`${p.name}.shift`, { p, dtype: "F32", shape: [] });
  }
  let header;
  try {
    header = parseSafetensorsHeader(bytes, bytes.length, label, {
      dtypes: WIRE_DTYPES,
      known: (name) => expected.has(name),
    });
  } catch (e) {
    throw new SubmissionRefused("header", (e as Error).message); // it names the file
  }
  for (const [name, want] of expected) {
    const t = header.tensors.get(name);
    if (!t) refuse("tensors", `missing tensor "${name}" (every parameter needs ${SUFFIXES.join(", ")})`);
    else if (t.dtype !== want.dtype || t.shape.join() !== want.shape.join() || t.shape.length !== want.shape.length) {
      refuse(
        "tensors",
        `tensor "${name}" is ${t.dtype} ${JSON.stringify(t.shape)}, the model implies ${want.dtype} ${
          JSON.stringify(want.shape)
        }`,
      );
    }
  }
  const meta = readMeta(header.metadata, layout.codec, refuse);
  const slice = (name: string) => {
    const t = header.tensors.get(name)!;
    return bytes.subarray(t.offset, t.offset + t.length);
  };
  const floats = (name: string) => {
    const b = slice(name), view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const out = new Float32Array(b.length / 4);
    for (let i = 0; i < out.length; i++) {
      out[i] = view.getFloat32(4 * i, true);
      if (!(Math.abs(out[i]) <= MAX_WIRE_VALUE)) {
        refuse(
          "values",
          `"${name}"[${i}] is ${out[i]}; lookup and shift must be finite with |value| ≤ ${MAX_WIRE_VALUE}`,
        );
      }
    }
    return out;
  };
  const parameters = new Map<string, WireParameter>();
  for (const p of layout.parameters) {
    const idxs = slice(`${p.name}.idxs`).slice(), codes = slice(`${p.name}.vals`).slice();
    checkIndices(p, unpack12(idxs, p.kept), refuse);
    const bad = codes.findIndex((c) => c >= layout.codec.bins);
    if (bad >= 0) refuse("codes", `"${p.name}.vals"[${bad}] is ${codes[bad]}, not below ${layout.codec.bins} bins`);
    parameters.set(p.name, { idxs, codes, lookup: floats(`${p.name}.lookup`), shift: floats(`${p.name}.shift`)[0] });
  }
  return { meta, parameters };
}

/** The codec a submission says it was made with (checked to be one the format can carry), read from its header alone. */
export function submissionCodec(bytes: Uint8Array, label = SUBMISSION_FILE): CodecSettings {
  let metadata: Record<string, string>;
  try {
    metadata = parseSafetensorsHeader(bytes, bytes.length, label, { dtypes: WIRE_DTYPES }).metadata;
  } catch (e) {
    throw new SubmissionRefused("header", (e as Error).message); // it names the file
  }
  let codec: CodecSettings;
  try {
    codec = JSON.parse(metadata.codec ?? "");
    checkCodec(codec);
  } catch (e) {
    throw new SubmissionRefused(
      "codec",
      `${label}: __metadata__.codec ${previewValue(metadata.codec)} is not a codec (${(e as Error).message})`,
    );
  }
  return { chunk: codec.chunk, topk: codec.topk, bins: codec.bins, range: codec.range };
}

/** Refuses a submission made for another window or checkpoint (the validator's rule; `eval` only warns). */
export function checkSubmissionFor(meta: SubmissionMeta, want: { window: number; base: string }): void {
  if (meta.window !== want.window) {
    throw new SubmissionRefused("window", `the submission is for window ${meta.window}, not ${want.window}`);
  }
  if (meta.base !== want.base) {
    throw new SubmissionRefused("base", `the submission was computed on ${meta.base}, not the window's ${want.base}`);
  }
}

function readMeta(
  raw: Record<string, string>,
  codec: CodecSettings,
  refuse: (rule: SubmissionRule, text: string) => never,
): SubmissionMeta {
  const extra = Object.keys(raw).filter((k) => !META_KEYS.includes(k));
  if (extra.length > 0) refuse("metadata", `unknown __metadata__ key ${previewValue(extra[0])}`);
  if (raw.format !== PSEUDOGRAD_FORMAT) {
    refuse("metadata", `__metadata__.format is ${previewValue(raw.format)}, not "${PSEUDOGRAD_FORMAT}"`);
  }
  if (!/^(0|[1-9][0-9]{0,14})$/.test(raw.window ?? "")) {
    refuse("metadata", `__metadata__.window ${previewValue(raw.window)} is not a window number`);
  }
  if (!isBase64Sha256(raw.base)) {
    refuse("metadata", `__metadata__.base ${previewValue(raw.base)} is not a model hash (base64 SHA-256)`);
  }
  let sent: unknown;
  try {
    sent = JSON.parse(raw.codec ?? "");
  } catch {
    refuse("codec", `__metadata__.codec ${previewValue(raw.codec)} is not JSON`);
  }
  const keys = ["chunk", "topk", "bins", "range"] as const;
  const s = sent as Record<string, unknown>;
  if (
    typeof s !== "object" || s === null || Array.isArray(s) || Object.keys(s).length !== keys.length ||
    keys.some((k) => s[k] !== codec[k])
  ) {
    refuse("codec", `__metadata__.codec ${previewValue(raw.codec)} is not the competition's ${JSON.stringify(codec)}`);
  }
  return { window: Number(raw.window), base: raw.base, codec };
}

/** Every position below the chunk size and none twice in one chunk. */
function checkIndices(p: ParameterLayout, idx: Uint16Array, refuse: (rule: SubmissionRule, text: string) => never) {
  const seen = new Uint32Array(p.geometry.totalk);
  for (let c = 0; c < p.geometry.chunks; c++) {
    for (let j = 0; j < p.k; j++) {
      const i = idx[c * p.k + j];
      if (i >= p.geometry.totalk) {
        refuse("indices", `"${p.name}.idxs": chunk ${c} names position ${i}, outside its ${p.geometry.totalk}`);
      }
      if (seen[i] === c + 1) refuse("indices", `"${p.name}.idxs": chunk ${c} names position ${i} twice`);
      seen[i] = c + 1;
    }
  }
}

/** Reads a submission file, refusing one larger than the layout allows before reading it. */
export async function loadSubmission(path: string, layout: SubmissionLayout, label = path): Promise<Submission> {
  const info = await Deno.stat(path);
  if (!info.isFile) throw new SubmissionRefused("size", `${label}: not a regular file`);
  checkSubmissionSize(info.size, layout, label);
  return readSubmission(await Deno.readFile(path), layout, label);
}
