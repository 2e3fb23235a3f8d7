/**
 * A real subtensor runtime for tests: opentensor/subtensor's `raonet` chain spec (spec 218, the
 * runtime wasm and a two-subnet state; found, checked and cached by raonet_spec.ts) executed
 * offline by @acala-network/chopsticks. Blocks are built on demand (`dev_newBlock`) and when a transaction
 * arrives; `dev_setStorage` funds accounts and sets hyperparameters and stake (a value of 0 does
 * not take effect, so nothing here relies on writing one).
 *
 * Chopsticks is found at $CHOPSTICKS, else in .cache/chopsticks, where `npm ci` installs the tree
 * pinned by deps/chopsticks/package-lock.json (.ci/run does it before the tests; a test does it
 * when missing). The node runs in its own process and is stopped by `close`. Every wait on the
 * node (its start, each RPC call, each inclusion, its exit) is bounded and, on expiry, says what it
 * last saw.
 */
import { join } from "node:path";
import { ApiPromise, WsProvider } from "@polkadot/api";
import type { KeyringPair } from "@polkadot/keyring/types";
import type { SubmittableExtrinsic } from "@polkadot/api/types";
import { type Inclusion, keyFromUri, submitExtrinsic, SubtensorChain } from "../../src/mod.ts";
import { outputWithin, until, within } from "../helpers/deadline.ts";
import { defaultSources, findSpec } from "./raonet_spec.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const INSTALL_DIR = join(ROOT, ".cache", "chopsticks");
/** The committed package.json and package-lock.json that pin chopsticks and its whole tree. */
const PINNED = join(ROOT, "deps", "chopsticks");

/** The spec, looked for once per test module (see raonet_spec.ts for where). */
const SPEC = await findSpec(defaultSources());

/**
 * Registers the tests `register` makes when the raonet spec can be had; otherwise one ignored
 * test, named `name` with the reason, so the summary says what was skipped and why.
 */
export function onRuntime(name: string, register: () => void): void {
  if ("path" in SPEC) return register();
  Deno.test({ name: `${name}: skipped because ${SPEC.missing}`, ignore: true, fn: () => {} });
}

/**
 * The chopsticks executable: $CHOPSTICKS, else the pinned install in .cache/chopsticks. An install
 * is complete when its marker holds the lockfile it installed (.ci/run writes the same marker), so
 * a half-finished `npm ci` is never used. The parallel test workers install one at a time: the
 * first to create the lock directory runs `npm ci` (tried twice), the others wait for its marker.
 */
async function chopsticksBin(): Promise<string> {
  const given = Deno.env.get("CHOPSTICKS");
  if (given) return given;
  const bin = join(INSTALL_DIR, "node_modules", ".bin", "chopsticks");
  const marker = join(INSTALL_DIR, ".installed-lock");
  const lock = await Deno.readTextFile(join(PINNED, "package-lock.json"));
  const installed = () => Deno.readTextFile(marker).then((t) => t === lock, () => false);
  if (await installed()) return bin;
  const busy = `${INSTALL_DIR}.installing`;
  await Deno.mkdir(join(INSTALL_DIR, ".."), { recursive: true });
  try {
    await Deno.mkdir(busy);
  } catch {
    await until(`another test worker's npm ci of chopsticks (lock ${busy})`, 900_000, async () => {
      if (await installed()) return true;
      const stillBusy = await Deno.stat(busy).then(() => true, () => false);
      if (!stillBusy && !(await installed())) throw new Error("the other worker's npm ci of chopsticks failed");
      return undefined;
    }, { everyMs: 1_000 });
    return bin;
  }
  try {
    console.log(`installing the pinned chopsticks tree (deps/chopsticks) into ${INSTALL_DIR}`);
    await Deno.mkdir(INSTALL_DIR, { recursive: true });
    for (const f of ["package.json", "package-lock.json"]) await Deno.copyFile(join(PINNED, f), join(INSTALL_DIR, f));
    let failure = "";
    for (let attempt = 1; attempt <= 2 && !(await installed()); attempt++) {
      const out = await outputWithin("npm ci of the chopsticks tree", 900_000, "npm", {
        args: ["ci", "--prefix", INSTALL_DIR, "--no-audit", "--no-fund"],
        stdout: "null",
      });
      if (out.success) await Deno.writeTextFile(marker, lock);
      else failure = new TextDecoder().decode(out.stderr).slice(-500);
    }
    if (!(await installed())) throw new Error(`npm ci could not install chopsticks: ${failure}`);
    return bin;
  } finally {
    await Deno.remove(busy).catch(() => {});
  }
}

/** How long one RPC call, block build or inclusion may take before the wait fails with what it saw. */
const RPC_MS = 60_000;
const INCLUSION_MS = 90_000;

/** A running node. */
export interface Node {
  endpoint: string;
  /** Raw RPC (dev_newBlock, dev_setStorage …), each call bounded. */
  rpc(method: string, params: unknown[]): Promise<unknown>;
  api: ApiPromise;
  newBlocks(count: number): Promise<void>;
  /** Storage by pallet and item names, or raw `[key, value]` hex pairs. */
  setStorage(storage: Record<string, unknown> | [string, string][]): Promise<void>;
  /** "node at block 3; pending pool empty": what a failed wait reports. */
  describe(): Promise<string>;
  close(): Promise<void>;
}

/** Starts a node on the raonet spec and connects to it. */
export async function startNode(): Promise<Node> {
  if (!("path" in SPEC)) throw new Error(SPEC.missing);
  const json = SPEC.path;
  const port = freePort();
  const child = new Deno.Command(await chopsticksBin(), {
    args: ["--genesis", json, "--port", String(port), "--host", "127.0.0.1"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { LOG_LEVEL: Deno.env.get("CHOPSTICKS_LOG_LEVEL") ?? "info" },
  }).spawn();
  const logs = nodeLog(child);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    try {
      await within("chopsticks to exit after SIGTERM", 10_000, child.status);
    } catch {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
    }
    await logs.closed;
  };
  let api: ApiPromise;
  let provider: WsProvider;
  let endpoint: string;
  try {
    // Chopsticks takes the next port when one is busy: read the one it says it listens on.
    endpoint = await within("chopsticks to listen", 180_000, logs.listening, {
      state: () => `it printed: ${logs.tail()}`,
    });
    provider = new WsProvider(endpoint, 1_000, {}, RPC_MS);
    api = await within(
      `the API to connect to ${endpoint}`,
      RPC_MS,
      ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true }),
      {
        onExpiry: () => void provider.disconnect().catch(() => {}),
      },
    );
  } catch (e) {
    await stop();
    throw e;
  }
  const describe = async () => {
    const send = (m: string) => within(m, 5_000, provider.send(m, []));
    const [header, pool] = await Promise.all([
      send("chain_getHeader").then((h: any) => `node at block ${Number(h.number)}`, () => "no header"),
      send("author_pendingExtrinsics").then(
        (p: unknown[]) => `pending pool ${p.length === 0 ? "empty" : `${p.length} extrinsics`}`,
        () => "pool unknown",
      ),
    ]);
    return `${header}; ${pool}; node log: ${logs.tail(3)}`;
  };
  const rpc = (method: string, params: unknown[]) =>
    within(`${method}`, RPC_MS, provider.send(method, params), { state: describe });
  const head = async () => Number(((await rpc("chain_getHeader", [])) as { number: string }).number);
  await fixGenesisClock(api, rpc);
  return {
    endpoint,
    rpc,
    api,
    describe,
    newBlocks: async (count) => {
      // Chopsticks answers dev_newBlock with success even when a build failed: check the head moved.
      const before = await head();
      await rpc("dev_newBlock", [{ count }]);
      const after = await head();
      if (after < before + count) {
        throw new Error(`dev_newBlock built ${after - before} of ${count} blocks; node log: ${logs.tail(5)}`);
      }
    },
    setStorage: async (storage) => void (await rpc("dev_setStorage", [storage])),
    close: async () => {
      await within("the API to disconnect", 10_000, api.disconnect()).catch(() => {});
      await stop();
    },
  };
}

/** A subnet registered on the node for one test: the validator's hotkey is uid 0, miners follow. */
export interface TestSubnet {
  netuid: number;
  validator: KeyringPair;
  /** The validator's secret URI (for a validator process: SN9_HOTKEY_URI). */
  validatorUri: string;
  miners: KeyringPair[];
  coldkey: KeyringPair;
}

let subnetCounter = 0;

/**
 * Registers a fresh dynamic subnet with the real `register_network` (its owner hotkey becomes uid
 * 0), registers `miners` hotkeys with the real `burned_register`, gives the validator stake and
 * sets the hyperparameters the tests want, then runs one epoch so the validator holds a permit.
 */
export async function newSubnet(
  node: Node,
  o: {
    miners: number;
    tempo: number;
    weightsRateLimit: number;
    weightsVersionKey: number;
    maxAllowedValidators: number;
  },
): Promise<TestSubnet> {
  const id = `${Date.now()}-${subnetCounter++}`;
  const coldkey = await keyFromUri(`//cold-${id}`);
  const validatorUri = `//validator-${id}`;
  const validator = await keyFromUri(validatorUri);
  const miners = await Promise.all(Array.from({ length: o.miners }, (_, i) => keyFromUri(`//miner-${i}-${id}`)));
  await node.setStorage({
    System: { Account: [[[coldkey.address], { providers: 1, data: { free: "100000000000000000" } }]] },
    SubtensorModule: { NetworkRateLimit: 1 },
  });
  await node.newBlocks(1);
  const tx = node.api.tx.subtensorModule as unknown as Record<
    string,
    (...a: unknown[]) => SubmittableExtrinsic<"promise">
  >;
  await submit(node, tx.registerNetwork(validator.address, 1), coldkey);
  const nets = await (node.api.query.subtensorModule as any).networksAdded.entries();
  const netuid = Math.max(...nets.map(([k]: any) => Number(k.args[0].toString())));
  const params = (name: string, value: unknown) => ({ [name]: [[[netuid], value]] });
  await node.setStorage({
    SubtensorModule: {
      ...params("Tempo", o.tempo),
      ...params("WeightsSetRateLimit", o.weightsRateLimit),
      ...params("WeightsVersionKey", o.weightsVersionKey),
      ...params("ActivityCutoff", 5000),
      ...params("MaxAllowedValidators", o.maxAllowedValidators),
      ...params("MaxRegistrationsPerBlock", 64),
      ...params("TargetRegistrationsPerInterval", 64),
      ...params("Burn", 1000),
      ...params("MinBurn", 1000),
    },
  });
  for (const m of miners) {
    await submit(node, tx.burnedRegister(netuid, m.address), coldkey);
  }
  await node.setStorage({
    SubtensorModule: {
      TotalHotkeyAlpha: [[[validator.address, netuid], "1000000000000000"]],
      TotalHotkeyShares: [[[validator.address, netuid], "1000000000000000"]],
      Alpha: [[[validator.address, coldkey.address, netuid], "1000000000000000"]],
    },
  });
  await node.newBlocks(o.tempo + 1); // an epoch: the staked validator receives its permit
  return { netuid, validator, validatorUri, miners, coldkey };
}

/** Connects the product's subtensor client to the node. */
export function connect(node: Node): Promise<SubtensorChain> {
  return SubtensorChain.connect(node.endpoint, { inclusionTimeoutMs: 30_000 });
}

/**
 * Gives a node still at genesis a stored, slot-aligned `Timestamp::Now`. Without one, chopsticks
 * reads the wall clock twice for the first block (once for the Aura slot in the digest, once for
 * the timestamp inherent): when a slot boundary falls between the two reads, Aura panics ("Timestamp
 * slot must match CurrentSlot"), the build fails, and the transactions it took from the pool are
 * dropped without a word to their watchers. Under load the two reads are a second apart, and a
 * 3 s slot is straddled often. After the first block the stored timestamp decides, so the builds
 * are deterministic.
 */
async function fixGenesisClock(api: ApiPromise, rpc: (method: string, params: unknown[]) => Promise<unknown>) {
  const now = (await (api.query.timestamp as any).now()).toNumber();
  if (now !== 0) return;
  const slot = Number(await (api.call as any).auraApi?.slotDuration?.() ?? 0) || 12_000;
  await rpc("dev_setStorage", [{ Timestamp: { Now: Math.floor(Date.now() / slot) * slot } }]);
}

/**
 * Signs and submits through the product's own submission (src/chain/subtensor/submit.ts: every
 * terminal status ends it, and the chain's blocks are searched when the status stream is silent),
 * bounded here with the node's state for the message on expiry.
 */
export function submit(node: Node, tx: SubmittableExtrinsic<"promise">, signer: KeyringPair): Promise<Inclusion> {
  const what = `${tx.method.section}.${tx.method.method}`;
  return within(
    `${what}'s inclusion`,
    INCLUSION_MS + 10_000,
    submitExtrinsic(node.api, tx, signer, { timeoutMs: INCLUSION_MS }),
    { state: node.describe },
  );
}

/** The node's output: the line it listens on, and the last lines for a failed wait's message. */
function nodeLog(
  child: Deno.ChildProcess,
): { listening: Promise<string>; tail(n?: number): string; closed: Promise<void> } {
  const lines: string[] = [];
  const file = Deno.env.get("CHOPSTICKS_LOG_DIR");
  let found: (endpoint: string) => void = () => {};
  const listening = new Promise<string>((r) => (found = r));
  const drain = async (stream: ReadableStream<Uint8Array<ArrayBuffer>>) => {
    let buffer = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      if (file) await Deno.writeTextFile(join(file, `chopsticks-${child.pid}.log`), chunk, { append: true });
      buffer += chunk;
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 200) lines.shift();
        const m = /listening on http:\/\/[\d.]+:\d+ and (ws:\/\/[\d.]+:\d+)/.exec(line);
        if (m) found(m[1]);
      }
    }
  };
  // Both pipes are drained to the end, so the node never blocks on a full pipe.
  const closed = Promise.all([drain(child.stdout), drain(child.stderr)]).then(() => {});
  return {
    listening,
    closed,
    tail: (n = 10) => lines.slice(-n).join(" | ").slice(-1500) || "(nothing)",
  };
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
