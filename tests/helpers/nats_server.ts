/**
 * A real NATS server with JetStream (Debian's `nats-server`, which .ci/run installs) on a loopback
 * port the test owns, its store in a temporary directory so a restart keeps the streams, as a
 * server that goes away and comes back does. Starting waits, with a deadline, until the port
 * answers; stopping waits for the process to exit.
 */
import { join } from "node:path";
import { within } from "./deadline.ts";
import { tempDir } from "./temp.ts";

/** The server's binary: on PATH, or where Debian puts it (/usr/sbin, outside a user's PATH). */
const BINARY = ["nats-server", "/usr/sbin/nats-server"].find((bin) => {
  try {
    return new Deno.Command(bin, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
});

/** Whether this machine has the server; a test that needs it says so when it is missing. */
export const NATS_SERVER = BINARY !== undefined;

/** Appended to the name of a test that needs the server, when it is missing. */
export const WITHOUT_NATS = NATS_SERVER ? "" : " (skipped: nats-server is not installed; .ci/run installs it)";

/** A running server. */
export interface NatsServer {
  url: string;
  host: string;
  port: number;
  /** SIGTERM, and the wait for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and store. */
  start(): Promise<void>;
}

/** Starts a server on `host` (default 127.0.0.1) and a free port. */
export async function startNatsServer(
  o: { host?: string; user?: string; password?: string } = {},
): Promise<NatsServer> {
  const host = o.host ?? "127.0.0.1";
  const dir = await tempDir("sn9-nats-");
  const port = freePort(host);
  const auth = o.user ? ["--user", o.user, "--pass", o.password ?? ""] : [];
  let child: Deno.ChildProcess | undefined;
  let output: Promise<string> | undefined;
  const server: NatsServer = {
    url: `nats://${host}:${port}`,
    host,
    port,
    async start() {
      child = new Deno.Command(BINARY!, {
        args: ["-js", "-sd", join(dir, "js"), "-a", host, "-p", String(port), ...auth],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const c = child;
      output = Promise.all([new Response(c.stdout).text(), new Response(c.stderr).text()]).then((t) => t.join(""));
      await within(`nats-server on ${host}:${port} to accept connections`, 20_000, async () => {
        for (;;) {
          try {
            (await Deno.connect({ hostname: host, port })).close();
            return;
          } catch {
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      }, {
        onExpiry: () => c.kill("SIGKILL"),
      });
    },
    async stop() {
      if (!child) return;
      const c = child;
      child = undefined;
      try {
        c.kill("SIGTERM");
      } catch { /* gone already */ }
      await within(`nats-server on ${host}:${port} to exit`, 20_000, c.status, {
        state: async () => (await Promise.race([output!, Promise.resolve("")])).slice(-400),
        onExpiry: () => c.kill("SIGKILL"),
      });
      await output;
    },
  };
  await server.start();
  return server;
}

/** A port nothing listens on now, on `host`. */
function freePort(host: string): number {
  const l = Deno.listen({ hostname: host, port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
