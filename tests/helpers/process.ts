/**
 * Runs a script of this repository in its own Deno process, line by line, with a real SIGKILL on
 * demand. The run is bounded: past its deadline the process is killed and the wait fails with the
 * last lines it printed.
 */
import { within } from "./deadline.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** What a run printed and how it ended. */
export interface ScriptRun {
  code: number;
  /** stdout lines, then stderr lines. */
  lines: string[];
  /** Whether `killAt` matched and the process was killed (or sent `signal`). */
  killed: boolean;
  /** Milliseconds from the signal to the process's exit, when `killAt` matched. */
  exitAfterSignalMs?: number;
}

/** `deno run -A <args>` from the repository root; `signal` (SIGKILL) at the first stdout line `killAt` matches. */
export async function runScript(
  args: string[],
  o: {
    env?: Record<string, string>;
    killAt?: RegExp | ((line: string) => boolean);
    signal?: Deno.Signal;
    timeoutMs?: number;
    /** Told each stdout line as it arrives. */
    onLine?: (line: string) => void;
    /** Sends `signal` (SIGKILL) when this settles, if it has not exited by then. */
    stopWhen?: Promise<unknown>;
    /** A command to run Deno under (`ip netns exec <ns>`). */
    prefix?: string[];
  } = {},
): Promise<ScriptRun> {
  const kill = typeof o.killAt === "function"
    ? o.killAt
    : (line: string) => (o.killAt as RegExp | undefined)?.test(line) ?? false;
  const command = [...(o.prefix ?? []), Deno.execPath(), "run", "-A", ...args];
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    cwd: ROOT,
    env: o.env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines: string[] = [];
  let killed = false, buffer = "", signalledAt = 0;
  const read = async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        o.onLine?.(line);
        if (!killed && kill(line)) {
          killed = true;
          signalledAt = performance.now();
          child.kill(o.signal ?? "SIGKILL");
        }
      }
    }
    return await child.status;
  };
  o.stopWhen?.finally(() => {
    if (killed) return;
    killed = true;
    signalledAt = performance.now();
    try {
      child.kill(o.signal ?? "SIGKILL");
    } catch { /* exited already */ }
  });
  const status = await within(`${args.slice(0, 2).join(" ")} to exit`, o.timeoutMs ?? 240_000, read, {
    state: () => `it printed: ${lines.slice(-5).join(" | ").slice(-800)}`,
    onExpiry: () => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    },
  });
  const exitAfterSignalMs = killed ? performance.now() - signalledAt : undefined;
  lines.push(...(await stderr).split("\n").filter(Boolean));
  return { code: status.code, lines, killed, exitAfterSignalMs };
}
