/**
 * Loading and checking a competition schedule, and finding what applies at a block. A schedule
 * is refused at load, with the rule it breaks, rather than failing a validator mid-step.
 */
import { createHash } from "node:crypto";
import { MAX_ADAPTER_RANK, SUPPORTED_ARCHITECTURES } from "../../eval/mod.ts";
import { DATASETS } from "../data/mod.ts";
import { MAX_COMPETITION_ID } from "../metadata/mod.ts";
import { checkEpsilonDecay } from "../scoring/mod.ts";
import type { Competition, Schedule, ScheduleEntry } from "./competition.ts";
import { validatePinnedBase, validatePseudogradRules } from "./kind_rules.ts";

/** How far shares and weights may stray from summing to 1 (JSON decimals are not exact). */
const SUM_TOLERANCE = 1e-9;

/** Checks a parsed schedule; returns it typed, or throws `RangeError`/`TypeError` naming the rule. */
export function validateSchedule(raw: unknown): Schedule {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new TypeError("schedule must be a non-empty array of {startBlock, competitions}");
  }
  let previous = -1;
  for (const [i, entry] of raw.entries()) {
    const where = `schedule[${i}]`;
    if (typeof entry !== "object" || entry === null) throw new TypeError(`${where} is not an object`);
    const { startBlock, competitions } = entry as ScheduleEntry;
    if (!Number.isSafeInteger(startBlock) || startBlock < 0) {
      throw new RangeError(`${where}.startBlock must be a non-negative integer`);
    }
    if (startBlock <= previous) {
      throw new RangeError(`${where}.startBlock ${startBlock} is not after the previous entry's ${previous}`);
    }
    previous = startBlock;
    if (!Array.isArray(competitions) || competitions.length === 0) {
      throw new TypeError(`${where}.competitions must be a non-empty array`);
    }
    const ids = new Set<number>();
    for (const [j, c] of competitions.entries()) {
      validateCompetition(c, `${where}.competitions[${j}]`);
      if (ids.has(c.id)) throw new RangeError(`${where}: competition id ${c.id} appears twice`);
      ids.add(c.id);
    }
    const shares = competitions.reduce((s: number, c: Competition) => s + c.rewardShare, 0);
    if (Math.abs(shares - 1) > SUM_TOLERANCE) throw new RangeError(`${where}: reward shares sum to ${shares}, not 1`);
  }
  return raw as Schedule;
}

function validateCompetition(c: Competition, where: string): void {
  if (typeof c !== "object" || c === null) throw new TypeError(`${where} is not an object`);
  const int = (key: keyof Competition, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const v = c[key];
    if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > max) {
      throw new RangeError(`${where}.${key} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
    }
  };
  int("id", 0, MAX_COMPETITION_ID);
  if (typeof c.name !== "string" || !c.name) throw new TypeError(`${where}.name must be a non-empty string`);
  int("minParameters", 0);
  int("maxParameters", 1);
  if (c.minParameters > c.maxParameters) {
    throw new RangeError(`${where}: minParameters ${c.minParameters} exceeds maxParameters ${c.maxParameters}`);
  }
  int("maxBytes", 1);
  int("sequenceLength", 2, 1 << 20);
  int("evalBlockDelay", 0);
  if (typeof c.tokenizer !== "string" || !c.tokenizer) {
    throw new TypeError(`${where}.tokenizer must be a non-empty string`);
  }
  if (!Array.isArray(c.architectures) || c.architectures.length === 0) {
    throw new TypeError(`${where}.architectures must be a non-empty array`);
  }
  for (const a of c.architectures) {
    if (!SUPPORTED_ARCHITECTURES.includes(a)) {
      throw new RangeError(
        `${where}: architecture ${JSON.stringify(a)} is not known to the engine (known: ${
          SUPPORTED_ARCHITECTURES.join(", ")
        })`,
      );
    }
  }
  if (!(typeof c.rewardShare === "number" && c.rewardShare > 0 && c.rewardShare <= 1)) {
    throw new RangeError(`${where}.rewardShare must be in (0, 1], got ${JSON.stringify(c.rewardShare)}`);
  }
  checkEpsilonDecay(c.epsilon, `${where}.epsilon`);
  if (!Array.isArray(c.tasks) || c.tasks.length === 0) throw new TypeError(`${where}.tasks must be a non-empty array`);
  const taskIds = new Set<string>();
  for (const [k, t] of c.tasks.entries()) {
    const at = `${where}.tasks[${k}]`;
    if (typeof t.id !== "string" || !t.id || taskIds.has(t.id)) {
      throw new RangeError(`${at}.id must be a unique non-empty string`);
    }
    taskIds.add(t.id);
    if (!(t.dataset in DATASETS)) {
      throw new RangeError(
        `${at}: dataset ${JSON.stringify(t.dataset)} is not known to the loaders (known: ${
          Object.keys(DATASETS).join(", ")
        })`,
      );
    }
    if (!Number.isSafeInteger(t.pages) || t.pages < 1) throw new RangeError(`${at}.pages must be a positive integer`);
    if (!(typeof t.weight === "number" && t.weight > 0 && t.weight <= 1)) {
      throw new RangeError(`${at}.weight must be in (0, 1]`);
    }
  }
  const weights = c.tasks.reduce((s, t) => s + t.weight, 0);
  if (Math.abs(weights - 1) > SUM_TOLERANCE) throw new RangeError(`${where}: task weights sum to ${weights}, not 1`);
  validateKind(c, where);
}

/** The kind, and the rules of an adapter or pseudo-gradient competition (./kind_rules.ts). */
function validateKind(c: Competition, where: string): void {
  const kind = c.kind ?? "model";
  if (kind !== "model" && kind !== "adapter" && kind !== "pseudograd") {
    throw new RangeError(
      `${where}.kind must be "model", "adapter" or "pseudograd", got ${JSON.stringify(kind)?.slice(0, 40)}`,
    );
  }
  if (kind !== "adapter" && c.adapter !== undefined) throw new TypeError(`${where}.adapter is only for kind "adapter"`);
  if (kind !== "pseudograd" && c.pseudograd !== undefined) {
    throw new TypeError(`${where}.pseudograd is only for kind "pseudograd"`);
  }
  if (kind === "model") return;
  if (kind === "pseudograd") return validatePseudogradRules(c.pseudograd, where);
  const a = c.adapter!;
  const at = `${where}.adapter`;
  if (typeof a !== "object" || a === null) throw new TypeError(`${at} is required for kind "adapter"`);
  validatePinnedBase(a.base, `${at}.base`);
  if (!Number.isSafeInteger(a.maxRank) || a.maxRank < 1 || a.maxRank > MAX_ADAPTER_RANK) {
    throw new RangeError(
      `${at}.maxRank must be an integer in [1, ${MAX_ADAPTER_RANK}], got ${JSON.stringify(a.maxRank)}`,
    );
  }
  if (
    !Array.isArray(a.targetModules) || a.targetModules.length === 0 ||
    !a.targetModules.every((m) => typeof m === "string" && /^[A-Za-z0-9_]+$/.test(m))
  ) {
    throw new TypeError(`${at}.targetModules must be a non-empty array of module names (letters, digits, _)`);
  }
  if (typeof a.dora !== "boolean") throw new TypeError(`${at}.dora must be true or false`);
}

/** Reads and validates a schedule file (JSON). */
export async function loadSchedule(path: string | URL): Promise<Schedule> {
  let raw: unknown;
  try {
    raw = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new SyntaxError(`Cannot read schedule "${path}": ${(e as Error).message}`);
  }
  try {
    return validateSchedule(raw);
  } catch (e) {
    (e as Error).message = `Schedule "${path}": ${(e as Error).message}`;
    throw e;
  }
}

/**
 * The schedule's identity, for telemetry: the first 16 hex digits of the sha256 of its validated
 * JSON, so two validators can tell they run the same competitions.
 */
export function scheduleHash(schedule: Schedule): string {
  return createHash("sha256").update(JSON.stringify(schedule)).digest("hex").slice(0, 16);
}

/** The entry in force at `block`: the one with the highest startBlock ≤ block. */
export function scheduleAt(schedule: Schedule, block: number): ScheduleEntry {
  let found: ScheduleEntry | undefined;
  for (const entry of schedule) if (entry.startBlock <= block) found = entry;
  if (!found) {
    throw new RangeError(
      `no competitions are scheduled at block ${block} (the first starts at ${schedule[0].startBlock})`,
    );
  }
  return found;
}

/** A competition in force at `block` by id, or undefined. */
export function competitionAt(schedule: Schedule, block: number, id: number): Competition | undefined {
  return scheduleAt(schedule, block).competitions.find((c) => c.id === id);
}

/** The bundled schedules: `finney` for the real subnet, `local` for the embedded network and demo. */
export const BUNDLED_SCHEDULES = {
  finney: new URL("./schedules/finney.json", import.meta.url),
  local: new URL("./schedules/local.json", import.meta.url),
} as const;
