/**
 * A second host on this machine: a network namespace with its own stack, joined to this one by a
 * veth pair on a private /30. A process started inside it (`prefix` before its command) reaches
 * this side only through the pair, as a worker on another machine reaches the validator's queue.
 * Needs root and iproute2; `NETNS` says whether this machine can, and why not.
 */

/** Null when a namespace can be made here, else why not. */
export const NETNS: string | null = (() => {
  const name = `sn9-probe-${Deno.pid}`;
  try {
    const add = new Deno.Command("ip", { args: ["netns", "add", name], stdout: "null", stderr: "piped" }).outputSync();
    if (!add.success) return `ip netns add failed: ${new TextDecoder().decode(add.stderr).trim().slice(0, 100)}`;
    new Deno.Command("ip", { args: ["netns", "del", name], stdout: "null", stderr: "null" }).outputSync();
    return null;
  } catch (e) {
    return `no iproute2 (${(e as Error).message.slice(0, 80)})`;
  }
})();

/** A namespace and its link. */
export interface SecondHost {
  /** This side's address on the link (bind the server here). */
  hostAddress: string;
  /** The namespace's own address. */
  address: string;
  /** Put before a command to run it inside. */
  prefix: string[];
  close(): void;
}

let made = 0;

/** Makes the namespace and its link. */
export function secondHost(): SecondHost {
  const n = (Deno.pid % 200) + made++;
  const ns = `sn9-w-${Deno.pid}-${n}`;
  const outside = `sn9h${n}`, inside = `sn9w${n}`;
  const net = `10.${200 + (n % 50)}.${Deno.pid % 250}`;
  const ip = (...args: string[]) => {
    const r = new Deno.Command("ip", { args, stdout: "null", stderr: "piped" }).outputSync();
    if (!r.success) throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(r.stderr).trim()}`);
  };
  ip("netns", "add", ns);
  try {
    ip("link", "add", outside, "type", "veth", "peer", "name", inside);
    ip("link", "set", inside, "netns", ns);
    ip("addr", "add", `${net}.1/30`, "dev", outside);
    ip("link", "set", outside, "up");
    ip("netns", "exec", ns, "ip", "addr", "add", `${net}.2/30`, "dev", inside);
    ip("netns", "exec", ns, "ip", "link", "set", inside, "up");
    ip("netns", "exec", ns, "ip", "link", "set", "lo", "up");
  } catch (e) {
    new Deno.Command("ip", { args: ["netns", "del", ns], stdout: "null", stderr: "null" }).outputSync();
    throw e;
  }
  return {
    hostAddress: `${net}.1`,
    address: `${net}.2`,
    prefix: ["ip", "netns", "exec", ns],
    close() {
      // Deleting the namespace deletes its end of the pair, and with it the other.
      new Deno.Command("ip", { args: ["netns", "del", ns], stdout: "null", stderr: "null" }).outputSync();
    },
  };
}
