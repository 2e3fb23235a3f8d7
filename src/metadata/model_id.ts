/**
 * The metadata string a miner commits on chain: `namespace:name:commit:secure_hash:competition_id`.
 *
 * - `namespace/name` is a Hugging Face repo id: 4–38 characters in all with the one `/`
 *   (SN9's limit), each part of ASCII letters, digits, `-`, `_`, `.`, not starting or ending with
 *   `-` or `.`, and without `--` or `..`;
 * - `commit` is a 40-hex-digit lowercase git sha;
 * - `secure_hash` is 44 characters of standard base64 (a SHA-256 digest with one `=` of padding);
 * - `competition_id` is a decimal integer 0–65535 without leading zeros.
 * The whole string is at most 128 bytes (the chain's commitment limit for this field).
 */
import { isBase64Sha256 } from "./model_hash.ts";

/** A parsed metadata string. */
export interface ModelId {
  namespace: string;
  name: string;
  commit: string;
  secureHash: string;
  competitionId: number;
}

/** Why a metadata string was refused. */
export type MetadataProblem =
  | "too-long"
  | "not-ascii"
  | "field-count"
  | "repo-id"
  | "commit"
  | "secure-hash"
  | "competition-id";

/** A metadata string that breaks a rule; `problem` says which. */
export class InvalidMetadata extends Error {
  constructor(readonly problem: MetadataProblem, message: string) {
    super(message);
    this.name = "InvalidMetadata";
  }
}

/** Most bytes a metadata string may have. */
export const MAX_METADATA_BYTES = 128;
export const MIN_REPO_ID_LENGTH = 4, MAX_REPO_ID_LENGTH = 38;
export const MAX_COMPETITION_ID = 65535;

const PART = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const COMMIT = /^[0-9a-f]{40}$/;
const COMPETITION_ID = /^(0|[1-9][0-9]{0,4})$/;

/** Parses a metadata string; throws `InvalidMetadata` naming the rule it breaks. */
export function parseModelId(text: string): ModelId {
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_METADATA_BYTES) {
    throw new InvalidMetadata("too-long", `metadata is ${bytes} bytes, the limit is ${MAX_METADATA_BYTES}`);
  }
  if (!/^[\x21-\x7e]*$/.test(text)) {
    throw new InvalidMetadata(
      "not-ascii",
      "metadata must be printable ASCII without spaces (no unicode look-alikes or control characters)",
    );
  }
  const fields = text.split(":");
  if (fields.length !== 5) {
    throw new InvalidMetadata("field-count", `metadata needs 5 fields separated by ":", got ${fields.length}`);
  }
  const [namespace, name, commit, secureHash, competition] = fields;
  checkRepoId(namespace, name);
  if (!COMMIT.test(commit)) {
    throw new InvalidMetadata("commit", `commit ${JSON.stringify(commit)} is not 40 lowercase hex digits`);
  }
  if (!isBase64Sha256(secureHash)) {
    throw new InvalidMetadata(
      "secure-hash",
      `secure hash ${JSON.stringify(secureHash)} is not 44 characters of base64 ending in "="`,
    );
  }
  if (!COMPETITION_ID.test(competition) || Number(competition) > MAX_COMPETITION_ID) {
    throw new InvalidMetadata(
      "competition-id",
      `competition id ${JSON.stringify(competition)} is not an integer 0–${MAX_COMPETITION_ID}`,
    );
  }
  return { namespace, name, commit, secureHash, competitionId: Number(competition) };
}

/** Formats a metadata string, checking every rule (the round trip with `parseModelId` is exact). */
export function formatModelId(id: ModelId): string {
  const text = `${id.namespace}:${id.name}:${id.commit}:${id.secureHash}:${id.competitionId}`;
  parseModelId(text);
  return text;
}

/** `namespace/name`. */
export function repoId(id: Pick<ModelId, "namespace" | "name">): string {
  return `${id.namespace}/${id.name}`;
}

/** Checks a repo id's parts; throws `InvalidMetadata("repo-id")`. */
export function checkRepoId(namespace: string, name: string): void {
  const full = `${namespace}/${name}`;
  const bad = (why: string) => new InvalidMetadata("repo-id", `repo id ${JSON.stringify(full)} ${why}`);
  if (full.length < MIN_REPO_ID_LENGTH || full.length > MAX_REPO_ID_LENGTH) {
    throw bad(`is ${full.length} characters; it must be ${MIN_REPO_ID_LENGTH}–${MAX_REPO_ID_LENGTH}`);
  }
  for (const part of [namespace, name]) {
    if (!PART.test(part) || part.includes("--") || part.includes("..")) {
      throw bad(
        `has an invalid part ${
          JSON.stringify(part)
        } (letters, digits, "-", "_", "." only; no leading/trailing "-" or ".", no "--" or "..")`,
      );
    }
  }
}

/** `ns/name` or `ns/name@revision`, with the Hub's characters for each part. */
const REPO_SPEC = /^([A-Za-z0-9][\w.-]*\/[\w.-]+)(?:@([\w./-]+))?$/;

/** A Hub repo id with an optional `@revision`, or null when `s` is none. */
export function parseRepoSpec(s: string): { repo: string; revision?: string } | null {
  const m = REPO_SPEC.exec(s);
  return m && { repo: m[1], revision: m[2] };
}

/** Whether `s` is a Hub repo id, `namespace/name`, with no revision. */
export function isRepoId(s: string): boolean {
  const m = parseRepoSpec(s);
  return m !== null && m.revision === undefined;
}
