/**
 * Every wait in the tests has a deadline. `within` bounds one wait: on expiry it rejects with what
 * it waited for, how long, and the last state it saw ("waited 30 s for registerNetwork's
 * inclusion; last status Ready; node at block 3; pending pool empty"). While a wait is pending it
 * is listed in `pendingWaits()`, which the per-test time limit (tests/helpers/time_limit.ts)
 * names when a test runs past its limit.
 */

/** A wait that ran past its deadline. */
export class WaitExpired extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WaitExpired";
  }
}

interface Wait {
  what: string;
  since: number;
  state?: () => string | Promise<string>;
}

// One registry per test process, shared by every copy of this module (the preload and the tests).
const KEY = Symbol.for("sn9.tests.pendingWaits");
const waits: Set<Wait> = ((globalThis as Record<symbol, unknown>)[KEY] ??= new Set<Wait>()) as Set<Wait>;

/** The waits pending now, each with its age and last state: "registerNetwork's inclusion (12 s; last status Ready)". */
export async function pendingWaits(): Promise<string[]> {
  return await Promise.all([...waits].map(async (w) => {
    const age = `${Math.round((Date.now() - w.since) / 1000)} s`;
    const state = w.state ? await describe(w.state) : "";
    return `${w.what} (${age}${state ? `; ${state}` : ""})`;
  }));
}

/**
 * Waits for `work` at most `ms`. `state` describes what was last seen, for the message on expiry
 * (it may query, and is itself bounded to 5 s). `onExpiry` cleans up (kills a process, closes a
 * socket) before the rejection.
 */
export async function within<T>(
  what: string,
  ms: number,
  work: Promise<T> | (() => Promise<T>),
  o: { state?: () => string | Promise<string>; onExpiry?: () => void | Promise<void> } = {},
): Promise<T> {
  const wait: Wait = { what, since: Date.now(), state: o.state };
  waits.add(wait);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(async () => {
      const state = o.state ? await describe(o.state) : "";
      try {
        await o.onExpiry?.();
      } catch { /* the message below says what matters */ }
      reject(new WaitExpired(`waited ${seconds(ms)} for ${what}${state ? `; ${state}` : ""}`));
    }, ms);
  });
  try {
    return await Promise.race([typeof work === "function" ? work() : work, expired]);
  } finally {
    clearTimeout(timer);
    waits.delete(wait);
  }
}

/** Polls `check` until it returns a value other than undefined, at most `ms`. */
export function until<T>(
  what: string,
  ms: number,
  check: () => T | undefined | Promise<T | undefined>,
  o: { everyMs?: number; state?: () => string | Promise<string> } = {},
): Promise<T> {
  let ended = false; // the polling stops once the wait has ended, expired or not
  return within(what, ms, async () => {
    while (!ended) {
      const value = await check();
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, o.everyMs ?? 50));
    }
    throw new WaitExpired(`stopped polling for ${what}`);
  }, { state: o.state }).finally(() => (ended = true));
}

/**
 * Runs a command to its end, at most `ms`; on expiry it is killed (SIGKILL) and the rejection
 * carries the last output it printed.
 */
export async function outputWithin(
  what: string,
  ms: number,
  command: string,
  options: Deno.CommandOptions,
): Promise<Deno.CommandOutput> {
  const child = new Deno.Command(command, {
    ...options,
    stdout: options.stdout ?? "piped",
    stderr: options.stderr ?? "piped",
    stdin: options.stdin ?? "null",
  }).spawn();
  const out = child.output();
  try {
    return await within(what, ms, out, {
      onExpiry: () => {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      },
    });
  } catch (e) {
    // Let the killed process be reaped, so the test's resource sanitizer sees it closed.
    await out.catch(() => {});
    throw e;
  }
}

async function describe(state: () => string | Promise<string>): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(state),
      new Promise<string>((r) => timer = setTimeout(() => r("state unknown (its query took over 5 s)"), 5_000)),
    ]);
  } catch (e) {
    return `state unknown (${(e as Error).message})`;
  } finally {
    clearTimeout(timer);
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
