/**
 * A real subtensor runtime for tests: opentensor/subtensor's `raonet` chain spec (spec 218, the
 * runtime wasm and a two-subnet state; ../shared/chain/raonet.json.gz) executed offline by
 * @acala-network/chopsticks. Blocks are built on demand (`dev_newBlock`) and when a transaction
 * arrives; `dev_setStorage` funds accounts and sets hyperparameters and stake (a value of 0 does
 * not take effect, so nothing here relies on writing one).
 *
 * Chopsticks is found at $CHOPSTICKS, else in .cache/chopsticks (where .ci/run installs it), and
 * installed there from npm when missing. The node runs in its own process and is stopped by `close`.
 */
import { join } from "node:path";
import { ApiPromise, WsProvider } from "@polkadot/api";
import type { KeyringPair } from "@polkadot/keyring/types";
import { keyFromUri, SubtensorChain } from "../../src/mod.ts";

/** The chopsticks version the suite runs (its README: Node ≥ 22 declared, runs on Node 20). */
export const CHOPSTICKS_VERSION = "1.5.1";

const ROOT = new URL("../../", import.meta.url).pathname;
const INSTALL_DIR = join(ROOT, ".cache", "chopsticks");

/** Where the raonet spec is, or undefined (with the reason) when the checkout has no shared/ beside it. */
export function raonetSpec(): string | undefined {
  const path = new URL("../../../shared/chain/raonet.json.gz", import.meta.url).pathname;
  try {
    Deno.statSync(path);
    return path;
  } catch {
    return undefined;
  }
}

/** The chopsticks executable, installing it from npm into .cache/chopsticks when missing. */
async function chopsticksBin(): Promise<string> {
  const given = Deno.env.get("CHOPSTICKS");
  if (given) return given;
  const bin = join(INSTALL_DIR, "node_modules", ".bin", "chopsticks");
  try {
    await Deno.stat(bin);
    return bin;
  } catch {
    console.log(`installing @acala-network/chopsticks@${CHOPSTICKS_VERSION} into ${INSTALL_DIR}`);
    const out = await new Deno.Command("npm", {
      args: [
        "install",
        "--prefix",
        INSTALL_DIR,
        "--no-audit",
        "--no-fund",
        `@acala-network/chopsticks@${CHOPSTICKS_VERSION}`,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`npm could not install chopsticks: ${new TextDecoder().decode(out.stderr).slice(-500)}`);
    }
    return bin;
  }
}

/** A running node. */
export interface Node {
  endpoint: string;
  /** Raw RPC (dev_newBlock, dev_setStorage …). */
  rpc(method: string, params: unknown[]): Promise<unknown>;
  api: ApiPromise;
  newBlocks(count: number): Promise<void>;
  /** Storage by pallet and item names, or raw `[key, value]` hex pairs. */
  setStorage(storage: Record<string, unknown> | [string, string][]): Promise<void>;
  close(): Promise<void>;
}

/** Starts a node on the raonet spec (decompressed once into .cache) and connects to it. */
export async function startNode(): Promise<Node> {
  const spec = raonetSpec();
  if (!spec) throw new Error("../shared/chain/raonet.json.gz is not beside this checkout");
  const json = join(INSTALL_DIR, "raonet.json");
  try {
    await Deno.stat(json);
  } catch {
    await Deno.mkdir(INSTALL_DIR, { recursive: true });
    const gz = await Deno.open(spec);
    await Deno.writeFile(`${json}.tmp`, gz.readable.pipeThrough(new DecompressionStream("gzip")));
    await Deno.rename(`${json}.tmp`, json);
  }
  const port = freePort();
  const child = new Deno.Command(await chopsticksBin(), {
    args: [
      "--genesis",
      json,
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      ...(Deno.env.get("CHOPSTICKS_RUNTIME_LOG")
        ? ["--runtime-log-level", Deno.env.get("CHOPSTICKS_RUNTIME_LOG")!]
        : []),
    ],
    stdout: "piped",
    stderr: "piped",
    env: { LOG_LEVEL: "info" },
  }).spawn();
  // Chopsticks takes the next port when one is busy: read the one it says it listens on.
  const endpoint = await listening(child);
  const provider = new WsProvider(endpoint);
  const api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });
  const rpc = (method: string, params: unknown[]) => provider.send(method, params);
  return {
    endpoint,
    rpc,
    api,
    newBlocks: async (count) => void (await rpc("dev_newBlock", [{ count }])),
    setStorage: async (storage) => void (await rpc("dev_setStorage", [storage])),
    close: async () => {
      await api.disconnect();
      child.kill("SIGTERM");
      await child.status;
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
    (...a: unknown[]) => Parameters<typeof submit>[0]
  >;
  await submit(tx.registerNetwork(validator.address, 1), coldkey);
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
    await submit(tx.burnedRegister(netuid, m.address), coldkey);
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

/** Signs and submits, resolving on inclusion; dispatch errors reject with the error's name. */
function submit(
  tx: { signAndSend(s: KeyringPair, o: never, cb: (r: any) => void): Promise<unknown> },
  signer: KeyringPair,
): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, { nonce: -1, era: 0 } as never, (r: any) => {
      if (r.dispatchError) reject(new Error(`dispatch error ${r.dispatchError.toString()}`));
      else if (r.status.isInBlock) resolve();
    }).catch(reject);
  });
}

async function listening(child: Deno.ChildProcess): Promise<string> {
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const errors = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const stderr = (async () => {
    for (;;) {
      const { value, done } = await errors.read();
      if (done) return;
      seen += value;
    }
  })();
  const deadline = Date.now() + 120_000;
  let buffer = "";
  while (Date.now() < deadline) {
    const { value, done } = await lines.read();
    if (done) break;
    buffer += value;
    const m = /listening on http:\/\/[\d.]+:\d+ and (ws:\/\/[\d.]+:\d+)/.exec(buffer);
    if (m) {
      // Keep draining the logs so the node never blocks on a full pipe.
      (async () => {
        for (;;) {
          const { value, done } = await lines.read();
          if (done) return;
          if (Deno.env.get("CHOPSTICKS_RUNTIME_LOG")) {
            await Deno.writeTextFile("/tmp/chop/runtime.log", value, { append: true });
          }
        }
      })();
      void stderr;
      return m[1];
    }
    buffer = buffer.slice(-2000);
  }
  child.kill("SIGKILL");
  throw new Error(`chopsticks did not start: ${(seen + buffer).slice(-800)}`);
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
