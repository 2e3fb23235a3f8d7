/**
 * Command-line flags as data: how each reads from the command line, its default, and the line
 * `--help` shows. Every value is checked before any work starts; a bad one is a `UsageError` that
 * names the flag, says what it must be, and quotes what was given.
 */

/** A command-line mistake: one line to the user, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** One flag. `T` is the value the command receives (with `undefined` when it has no default). */
export interface Flag<T> {
  type: "string" | "boolean";
  description: string;
  /** After the flag in --help ("<dir>", "<seconds>"). */
  placeholder?: string;
  /** As shown in --help. */
  defaultText?: string;
  /** Also accepted under these names (btcli's spellings). */
  aliases?: string[];
  /** May be given more than once; `parse` then gets every value, in order. */
  multiple?: boolean;
  parse(raw: string | boolean | string[] | undefined, name: string): T;
  /** A rule between this flag and others of its set, run once all are parsed. Throws `UsageError`. */
  relate?(values: Record<string, unknown>): void;
}

import { DEVICES, type DeviceSpec, formatDeviceSpec, parseDeviceSpec } from "../../eval/mod.ts";
import { isRepoId } from "../../src/mod.ts";

const quoted = (raw: unknown) => JSON.stringify(String(raw)).slice(0, 80);

function make<T>(
  description: string,
  o: { placeholder: string; default?: unknown; defaultText?: string; aliases?: string[] },
  read: (raw: string, name: string) => T,
): Flag<T> {
  return {
    type: "string",
    description,
    placeholder: o.placeholder,
    defaultText: o.defaultText ?? (o.default === undefined ? undefined : String(o.default)),
    aliases: o.aliases,
    parse: (raw, name) => (raw === undefined ? o.default as T : read(String(raw), name)),
  };
}

/** `raw` as a path, checked to exist as a file or directory when `mustExist` says so. */
function checkPath(raw: string, name: string, mustExist?: "file" | "dir"): string {
  if (raw.trim() === "") throw new UsageError(`${name} must be a path`);
  if (!mustExist) return raw;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(raw);
  } catch {
    throw new UsageError(`${name}: ${quoted(raw)} does not exist`);
  }
  if (mustExist === "dir" && !info.isDirectory) throw new UsageError(`${name}: ${quoted(raw)} is not a directory`);
  if (mustExist === "file" && !info.isFile) throw new UsageError(`${name}: ${quoted(raw)} is not a file`);
  return raw;
}

/** Flag constructors. Without a default the value may be `undefined`. */
export const flags = {
  /** A Hub repo id, `namespace/name`. */
  repo(description: string): Flag<string | undefined> {
    return make(description, { placeholder: "<ns/name>" }, (raw, name) => {
      if (!isRepoId(raw)) throw new UsageError(`${name} must be namespace/name (got ${quoted(raw)})`);
      return raw;
    });
  },

  /** A Hub namespace (a user or an organisation): the part of a repo id before the `/`. */
  namespace(description: string): Flag<string | undefined> {
    return make(description, { placeholder: "<namespace>" }, (raw, name) => {
      if (raw.includes("/") || !isRepoId(`${raw}/x`)) {
        throw new UsageError(`${name} must be a Hub namespace, letters, digits, - _ . (got ${quoted(raw)})`);
      }
      return raw;
    });
  },

  string<D extends string | undefined = undefined>(
    description: string,
    o: { default?: D; placeholder?: string; aliases?: string[]; defaultText?: string } = {},
  ): Flag<D extends string ? string : string | undefined> {
    return make(description, { placeholder: "<text>", ...o }, (raw, name) => {
      if (raw.trim() === "") throw new UsageError(`${name} must not be empty`);
      return raw;
    }) as unknown as Flag<D extends string ? string : string | undefined>;
  },

  choice<C extends string, D extends C | undefined = undefined>(
    description: string,
    choices: readonly C[],
    o: { default?: D; aliases?: string[]; defaultText?: string } = {},
  ): Flag<D extends C ? C : C | undefined> {
    return make(description, { placeholder: `<${choices.join("|")}>`, ...o }, (raw, name) => {
      if (!choices.includes(raw as C)) {
        throw new UsageError(`${name} must be one of ${choices.join(", ")} (got ${quoted(raw)})`);
      }
      return raw as C;
    }) as unknown as Flag<D extends C ? C : C | undefined>;
  },

  int<D extends number | undefined = undefined>(
    description: string,
    o: {
      default?: D;
      min?: number;
      max?: number;
      placeholder?: string;
      aliases?: string[];
      what?: string;
      defaultText?: string;
    } = {},
  ): Flag<D extends number ? number : number | undefined> {
    const min = o.min ?? 0, max = o.max ?? Number.MAX_SAFE_INTEGER;
    const what = o.what ??
      (min === 1 ? "a positive integer" : min === 0 ? "a non-negative integer" : `an integer ≥ ${min}`);
    return make(description, { placeholder: "<n>", ...o }, (raw, name) => {
      const v = /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(v) || v < min || v > max) {
        throw new UsageError(
          `${name} must be ${what}${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ""} (got ${quoted(raw)})`,
        );
      }
      return v;
    }) as unknown as Flag<D extends number ? number : number | undefined>;
  },

  seconds<D extends number | undefined = undefined>(
    description: string,
    o: { default?: D; defaultText?: string } = {},
  ): Flag<D extends number ? number : number | undefined> {
    return make(description, { placeholder: "<seconds>", ...o }, (raw, name) => {
      const v = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!(v > 0) || !Number.isFinite(v)) {
        throw new UsageError(`${name} must be a positive number of seconds (got ${quoted(raw)})`);
      }
      return v;
    }) as unknown as Flag<D extends number ? number : number | undefined>;
  },

  port<D extends number | undefined = undefined>(
    description: string,
    o: { default?: D } = {},
  ): Flag<D extends number ? number : number | undefined> {
    return make(description, { placeholder: "<port>", ...o }, (raw, name) => {
      const v = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isInteger(v) || v < 1 || v > 65535) {
        throw new UsageError(`${name} must be a port number 1–65535 (got ${quoted(raw)})`);
      }
      return v;
    }) as unknown as Flag<D extends number ? number : number | undefined>;
  },

  /** A path; `mustExist` checks it before the command starts. */
  path<D extends string | undefined = undefined>(
    description: string,
    o: { default?: D; mustExist?: "file" | "dir"; placeholder?: string; defaultText?: string } = {},
  ): Flag<D extends string ? string : string | undefined> {
    return make(
      description,
      { placeholder: "<path>", ...o },
      (raw, name) => checkPath(raw, name, o.mustExist),
    ) as unknown as Flag<
      D extends string ? string : string | undefined
    >;
  },

  /** Existing files, one per use of the flag (`--pseudograd a --pseudograd b`), in the order given. */
  files(description: string, o: { placeholder?: string } = {}): Flag<string[]> {
    return {
      type: "string",
      description: `${description} (repeatable)`,
      placeholder: o.placeholder ?? "<file>",
      multiple: true,
      parse: (raw, name) =>
        (raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)]).map((f) => checkPath(f, name, "file")),
    };
  },

  /** A finite number (`0.2`, `1e-3`), at least `min` when given. */
  number<D extends number | undefined = undefined>(
    description: string,
    o: { default?: D; min?: number; placeholder?: string } = {},
  ): Flag<D extends number ? number : number | undefined> {
    return make(description, { placeholder: "<x>", ...o }, (raw, name) => {
      const v = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isFinite(v) || (o.min !== undefined && v < o.min)) {
        throw new UsageError(
          `${name} must be a number${o.min !== undefined ? ` ≥ ${o.min}` : ""} (got ${quoted(raw)})`,
        );
      }
      return v;
    }) as unknown as Flag<D extends number ? number : number | undefined>;
  },

  /** A comma-separated list of non-negative integers. */
  ints(description: string, o: { placeholder?: string } = {}): Flag<number[] | undefined> {
    return make(description, { placeholder: o.placeholder ?? "<n,n,…>" }, (raw, name) => {
      const xs = raw.split(",").map((x) => x.trim());
      if (xs.length === 0 || xs.some((x) => !/^\d+$/.test(x))) {
        throw new UsageError(`${name} must be a comma-separated list of non-negative integers (got ${quoted(raw)})`);
      }
      return xs.map(Number);
    });
  },

  /** Devices, one per use of the flag (`--device cuda:0 --device cuda:1`); each a lane of evaluation. */
  devices(description: string, o: { default: string }): Flag<DeviceSpec[]> {
    return {
      type: "string",
      description,
      placeholder: `<${DEVICES.join("|")}[:n]>`,
      defaultText: o.default,
      multiple: true,
      parse: (raw, name) => {
        const given = raw === undefined ? [o.default] : Array.isArray(raw) ? raw : [String(raw)];
        const specs = given.map((d) => {
          try {
            return parseDeviceSpec(d);
          } catch (e) {
            throw new UsageError(`${name}: ${(e as Error).message}`);
          }
        });
        const names = specs.map(formatDeviceSpec);
        const twice = names.find((d, i) => names.indexOf(d) !== i);
        if (twice) throw new UsageError(`${name} ${twice} is given twice; give each device once`);
        return specs;
      },
    };
  },

  boolean(description: string, o: { aliases?: string[] } = {}): Flag<boolean> {
    return { type: "boolean", description, aliases: o.aliases, parse: (raw) => raw === true };
  },
};
