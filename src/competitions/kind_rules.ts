/**
 * The rules of a competition's kind that a schedule file must get right beyond the common fields:
 * a base pinned by repo, commit and model hash (adapter and pseudo-gradient competitions), and a
 * pseudo-gradient competition's windows, codec and scoring constants. Each refusal names the field.
 */
import { checkRepoId, isBase64Sha256 } from "../metadata/mod.ts";
import { checkCodec, checkWindowRules } from "../pseudograd/mod.ts";
import type { PseudogradRules } from "./competition.ts";

/** `base` is `{repo, revision, hash}`: namespace/name, a 40-hex-digit commit, a model hash. */
export function validatePinnedBase(base: unknown, at: string): void {
  if (typeof base !== "object" || base === null) throw new TypeError(`${at} must be {repo, revision, hash}`);
  const { repo, revision, hash } = base as Record<string, unknown>;
  const parts = typeof repo === "string" ? repo.split("/") : [];
  try {
    if (parts.length !== 2) throw new RangeError("is not namespace/name");
    checkRepoId(parts[0], parts[1]);
  } catch (e) {
    throw new RangeError(`${at}.repo: ${JSON.stringify(repo)?.slice(0, 80)} ${(e as Error).message}`);
  }
  if (typeof revision !== "string" || !/^[0-9a-f]{40}$/.test(revision)) {
    throw new RangeError(`${at}.revision must be a 40-hex-digit commit, got ${JSON.stringify(revision)?.slice(0, 80)}`);
  }
  if (!isBase64Sha256(hash)) {
    throw new RangeError(
      `${at}.hash must be a model hash (44 base64 characters), got ${JSON.stringify(hash)?.slice(0, 80)}`,
    );
  }
}

/** A pseudo-gradient competition's rules, field by field. */
export function validatePseudogradRules(p: PseudogradRules | undefined, where: string): void {
  const at = `${where}.pseudograd`;
  if (typeof p !== "object" || p === null) throw new TypeError(`${at} is required for kind "pseudograd"`);
  validatePinnedBase(p.base, `${at}.base`);
  try {
    checkWindowRules({ startBlock: p.startBlock, windowBlocks: p.windowBlocks, putBlocks: p.putBlocks });
    checkCodec(p.codec);
  } catch (e) {
    throw new RangeError(`${at}: ${(e as Error).message}`);
  }
  const counts: [keyof PseudogradRules, number][] = [
    ["assignedPages", 1000],
    ["ownSequences", 10_000],
    ["randomPages", 1000],
    ["randomSequences", 10_000],
    ["heldOutPages", 1000],
    ["heldOutSequences", 10_000],
    ["gather", 256],
  ];
  for (const [field, max] of counts) {
    const v = p[field];
    if (!Number.isSafeInteger(v) || (v as number) < 1 || (v as number) > max) {
      throw new RangeError(`${at}.${field} must be an integer in [1, ${max}], got ${JSON.stringify(v)?.slice(0, 40)}`);
    }
  }
  const reals: [keyof PseudogradRules, number, number][] = [["eta", 0, 10], ["outerLr", 0, 10], [
    "overlapThreshold",
    0,
    1,
  ]];
  for (const [field, lo, hi] of reals) {
    const v = p[field];
    if (typeof v !== "number" || !(v > lo && v <= hi)) {
      throw new RangeError(`${at}.${field} must be a number in (${lo}, ${hi}], got ${JSON.stringify(v)?.slice(0, 40)}`);
    }
  }
}
