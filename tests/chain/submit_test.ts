/**
 * The product's submission when the node's status stream goes silent, on the real runtime: the
 * client talks to chopsticks through a loopback WebSocket proxy that drops every
 * `author_extrinsicUpdate` notification, as a reconnect does (@polkadot/rpc-provider does not
 * re-create `author_` subscriptions) and as a node does when a failed block build drops the
 * transactions it took. The inclusion, and a dispatch error by name, must still be found, in the
 * chain's own blocks.
 */
import assert from "node:assert/strict";
import { ChainRejected, SubtensorChain } from "../../src/mod.ts";
import { newSubnet, onRuntime, startNode } from "./chopsticks.ts";

/** A WebSocket proxy to `upstream` that forwards every message except the status stream's. */
function silencingProxy(upstream: string): { endpoint: string; dropped: () => number; close(): Promise<void> } {
  let dropped = 0;
  const sockets: WebSocket[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const { socket: client, response } = Deno.upgradeWebSocket(req);
    const node = new WebSocket(upstream);
    sockets.push(client, node);
    const queued: string[] = [];
    node.onopen = () => queued.splice(0).forEach((m) => node.send(m));
    client.onmessage = (e) => node.readyState === WebSocket.OPEN ? node.send(e.data) : queued.push(e.data);
    node.onmessage = (e) => {
      if (String(e.data).includes('"author_extrinsicUpdate"')) dropped++;
      else if (client.readyState === WebSocket.OPEN) client.send(e.data);
    };
    const closeBoth = () => [client, node].forEach((s) => s.readyState <= WebSocket.OPEN && s.close());
    client.onclose = node.onclose = closeBoth;
    return response;
  });
  return {
    endpoint: `ws://127.0.0.1:${server.addr.port}`,
    dropped: () => dropped,
    close: async () => {
      for (const s of sockets) if (s.readyState <= WebSocket.OPEN) s.close();
      await server.shutdown();
    },
  };
}

onRuntime("subtensor spec 218 (chopsticks): silenced status stream", () => {
  Deno.test("subtensor spec 218 (chopsticks): with the status stream silenced, inclusions and dispatch errors are found in the blocks", async () => {
    const node = await startNode();
    const proxy = silencingProxy(node.endpoint);
    let chain: SubtensorChain | undefined;
    try {
      const s = await newSubnet(node, {
        miners: 2,
        tempo: 10,
        weightsRateLimit: 2,
        weightsVersionKey: 0,
        maxAllowedValidators: 1,
      });
      chain = await SubtensorChain.connect(proxy.endpoint, { inclusionTimeoutMs: 60_000 });
      const before = await chain.currentBlock();
      const { block } = await chain.setCommitment(s.netuid, s.miners[0], "silent:model:x");
      assert.ok(block > before, `included at block ${block}, after ${before}`);
      assert.deepEqual(await chain.commitment(s.netuid, s.miners[0].address), {
        hotkey: s.miners[0].address,
        block,
        data: "silent:model:x",
      });
      assert.ok(proxy.dropped() > 0, "the status stream was really silenced");
      // A refusal the runtime makes in the block is read from the block's events, by name.
      await assert.rejects(
        chain.setCommitment(s.netuid, s.miners[0], "too soon"),
        (e: unknown) => e instanceof ChainRejected && e.error === "CommitmentSetRateLimitExceeded",
      );
    } finally {
      await chain?.close();
      await proxy.close();
      await node.close();
    }
  });
});
