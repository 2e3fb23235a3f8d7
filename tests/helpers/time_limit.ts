/**
 * A time limit on every test, loaded before each test file (`deno test --preload`, in deno.json's
 * test task): `Deno.test` is wrapped so that a test running past its limit fails with its name and
 * the waits it was pending on (tests/helpers/deadline.ts), and the suite goes on. The limit is
 * `SN9_TEST_LIMIT_S` seconds (default 300); a test that needs longer says so with `timeLimit(ms)`.
 */
import { pendingWaits } from "./deadline.ts";

const DEFAULT_MS = Number(Deno.env.get("SN9_TEST_LIMIT_S") ?? "300") * 1000;
const KEY = Symbol.for("sn9.tests.timeLimit");

interface Limit {
  /** Extends (or shortens) the running test's limit, counted from now. */
  set(ms: number): void;
}

/** Sets the running test's limit to `ms` from now (for a test whose work is known to be long). */
export function timeLimit(ms: number): void {
  ((globalThis as Record<symbol, unknown>)[KEY] as Limit | undefined)?.set(ms);
}

type Fn = (t: Deno.TestContext) => void | Promise<void>;

/** `fn` bounded by the limit: rejects naming the test and what it was waiting for. */
function limited(name: string, fn: Fn): Fn {
  return (t) =>
    new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let deadline = 0;
      const arm = (ms: number) => {
        clearTimeout(timer);
        deadline = Date.now() + ms;
        timer = setTimeout(async () => {
          const waits = await pendingWaits();
          reject(
            new Error(
              `test "${name}" ran past its ${Math.round(ms / 1000)} s limit; ` +
                (waits.length ? `waiting for: ${waits.join("; ")}` : "no bounded wait was pending"),
            ),
          );
        }, Math.max(0, deadline - Date.now()));
      };
      (globalThis as Record<symbol, unknown>)[KEY] = { set: arm } satisfies Limit;
      arm(DEFAULT_MS);
      Promise.resolve()
        .then(() => fn(t))
        .then(resolve, reject)
        .finally(() => clearTimeout(timer));
    });
}

const test = Deno.test;

function wrapped(...args: unknown[]): void {
  // Deno.test(definition) | (name, fn) | (fn) | (name, options, fn) | (options, fn)
  if (args.length === 1 && typeof args[0] === "object") {
    const d = args[0] as Deno.TestDefinition;
    return test({ ...d, fn: limited(d.name, d.fn) });
  }
  if (args.length === 1 && typeof args[0] === "function") {
    const fn = args[0] as Fn;
    return test(fn.name, limited(fn.name, fn));
  }
  if (typeof args[0] === "string" && typeof args[1] === "function") {
    return test(args[0], limited(args[0], args[1] as Fn));
  }
  if (typeof args[0] === "string") {
    return test(args[0], args[1] as Omit<Deno.TestDefinition, "fn" | "name">, limited(args[0], args[2] as Fn));
  }
  const options = args[0] as Omit<Deno.TestDefinition, "fn">;
  const fn = args[1] as Fn;
  const name = options.name ?? fn.name;
  return test({ ...options, name, fn: limited(name, fn) });
}

Object.assign(wrapped, { ignore: test.ignore, only: test.only });
(Deno as { test: unknown }).test = wrapped;
