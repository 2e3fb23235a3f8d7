/**
 * How a long-running command stops, as systemd, Docker and a terminal expect: the first SIGTERM or
 * SIGINT asks it to finish cleanly within a grace period, a second one exits at once.
 */

/**
 * SIGTERM and SIGINT, as systemd, Docker and a terminal send them: the first aborts `signal` (the
 * loop abandons its model and finishes cleanly) and arms a hard deadline; a second exits at once.
 */
export function stopOnSignals(
  log: (line: string) => void,
  o: { abandons?: string } = { abandons: "the model being evaluated is abandoned and resumes on restart" },
): { signal: AbortSignal; sleep(ms: number): Promise<void> } {
  const controller = new AbortController();
  const GRACE_MS = 8_000;
  const on = (name: "SIGTERM" | "SIGINT", code: number) => () => {
    if (controller.signal.aborted) {
      log(`${name} again: exiting now`);
      Deno.exit(code);
    }
    log(`${name}: stopping (${o.abandons ? `${o.abandons}; ` : ""}${name} again to quit now)`);
    controller.abort(new DOMException(`stopped by ${name}`, "AbortError"));
    // An outside call that does not return must not hold the process past a supervisor's patience.
    const timer = setTimeout(() => {
      log(`did not stop within ${GRACE_MS / 1000} s; exiting`);
      Deno.exit(1);
    }, GRACE_MS);
    Deno.unrefTimer(timer);
  };
  Deno.addSignalListener("SIGTERM", on("SIGTERM", 143));
  Deno.addSignalListener("SIGINT", on("SIGINT", 130));
  return {
    signal: controller.signal,
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          controller.signal.removeEventListener("abort", done);
          resolve();
        }
        controller.signal.addEventListener("abort", done);
      }),
  };
}

/**
 * Serves `fetch` until SIGTERM or SIGINT, then closes the listener and returns (the command exits
 * 0), as a supervisor stopping a web service expects.
 */
export async function serveUntilSignal(
  o: { hostname: string; port: number; onListen(address: { hostname: string; port: number }): void },
  fetch: (request: Request) => Response | Promise<Response>,
): Promise<void> {
  const stop = stopOnSignals((line) => console.error(line), {});
  await Deno.serve({ ...o, signal: stop.signal }, fetch).finished;
}
