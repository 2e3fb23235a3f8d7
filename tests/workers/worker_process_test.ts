/**
 * `deno task worker` as real processes against a real NATS server. One worker is killed with
 * SIGKILL in the middle of an evaluation: its job comes back after the consumer's ack wait (NATS
 * docs, "Consumers": an unacknowledged message is redelivered once `ack_wait` passes), the other
 * worker evaluates it, and the step's per-sequence losses are identical, to the bit, to the same
 * step evaluated in the validator's own process. Then a worker on a second (emulated) host, a
 * network namespace joined to this one by a veth pair, serves a step over the queue.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openQueue, queueEvaluator } from "../../src/mod.ts";
import { within } from "../helpers/deadline.ts";
import { startNatsServer, WITHOUT_NATS } from "../helpers/nats_server.ts";
import { NETNS, secondHost } from "../helpers/netns.ts";
import { runScript } from "../helpers/process.ts";
import { fiveMinerSteps, measured } from "../helpers/five_miner_steps.ts";

/** A worker process's command line over the fixture's store. */
function workerArgs(url: string, storeDir: string, cacheDir: string, name: string): string[] {
  return [
    "tasks/worker.ts",
    "--queue",
    url,
    "--model-store",
    "local",
    "--store-dir",
    storeDir,
    "--cache-dir",
    cacheDir,
    "--name",
    name,
    "--workers",
    "1",
  ];
}

Deno.test({
  name:
    `two worker processes, one killed with SIGKILL mid-evaluation: the step completes with the in-process losses, to the bit${WITHOUT_NATS}`,
  ignore: WITHOUT_NATS !== "",
  fn: async () => {
    const f = await fiveMinerSteps("kill");
    const server = await startNatsServer();
    const coordinator = await openQueue({ url: server.url, timing: { ackWaitMs: 3_000 } });
    try {
      const local = await f.step("local");
      // Worker A takes the first job and dies in it; only then does worker B start.
      const a = runScript(workerArgs(server.url, f.subnet.storeDir, join(f.dir, "a"), "A"), {
        killAt: /A: uid \d+: computing/,
        timeoutMs: 120_000,
      });
      const lines: string[] = [];
      const step = f.step("queued", { evaluator: queueEvaluator(coordinator) }, (l) => lines.push(l));
      const killed = await a;
      assert.ok(killed.killed, killed.lines.join("\n"));
      const victim = killed.lines.find((l) => /computing/.test(l))!.match(/uid (\d+)/)![1];
      let stepDone!: () => void;
      const done = new Promise<void>((resolve) => (stepDone = resolve));
      const b = runScript(workerArgs(server.url, f.subnet.storeDir, join(f.dir, "b"), "B"), {
        signal: "SIGTERM",
        stopWhen: done,
        timeoutMs: 240_000,
      });
      const queued = await within("the queued step", 240_000, step).finally(() => stepDone());
      const worker = await b;

      assert.deepEqual(measured(queued), measured(local), "the same per-sequence losses, bit for bit");
      assert.ok(
        queued.every((e) => /worker B /.test(e.evaluatedOn ?? "")),
        JSON.stringify(queued.map((e) => e.evaluatedOn)),
      );
      assert.ok(
        worker.lines.some((l) => new RegExp(`B: uid ${victim} .*evaluating \\(step \\d+, attempt 2 of 3\\)`).test(l)),
        `the killed job came back as its second attempt:\n${worker.lines.join("\n")}`,
      );
      assert.equal(worker.code, 0, worker.lines.join("\n"));
      assert.ok(worker.lines.some((l) => / stopped$/.test(l)));
    } finally {
      await coordinator.close();
      await server.stop();
      await f.close();
    }
  },
});

Deno.test({
  name: `a worker on a second host (its own network namespace, over a veth pair) serves a step${WITHOUT_NATS}${
    NETNS ? ` (skipped: ${NETNS})` : ""
  }`,
  ignore: WITHOUT_NATS !== "" || NETNS !== null,
  fn: async () => {
    const f = await fiveMinerSteps("host");
    const host = secondHost();
    // The server listens only on this side's end of the link: nothing reaches it but through the pair.
    const server = await startNatsServer({ host: host.hostAddress, user: "validator", password: "s3cret-pass" });
    const url = `nats://validator:s3cret-pass@${host.hostAddress}:${server.port}`;
    const coordinator = await openQueue({ url, timing: { ackWaitMs: 5_000 } });
    try {
      const local = await f.step("local");
      let stepDone!: () => void;
      const done = new Promise<void>((resolve) => (stepDone = resolve));
      const remote = runScript(workerArgs(url, f.subnet.storeDir, join(f.dir, "remote"), "remote"), {
        prefix: host.prefix,
        signal: "SIGTERM",
        stopWhen: done,
        timeoutMs: 240_000,
      });
      const lines: string[] = [];
      const queued = await within(
        "the step served from the second host",
        240_000,
        f.step("queued", { evaluator: queueEvaluator(coordinator) }, (l) => lines.push(l)),
      )
        .finally(() => stepDone());
      const worker = await remote;
      assert.deepEqual(measured(queued), measured(local), "the same losses, bit for bit");
      assert.ok(queued.every((e) => /worker remote /.test(e.evaluatedOn ?? "")));
      assert.equal(worker.code, 0, worker.lines.join("\n"));
      const printed = [...lines, ...worker.lines].join("\n");
      assert.ok(!printed.includes("s3cret-pass"), "the queue's password is never printed");
      assert.match(
        worker.lines.join("\n"),
        new RegExp(`worker on nats://\\*\\*\\*@${host.hostAddress.replaceAll(".", "\\.")}`),
      );
    } finally {
      await coordinator.close();
      await server.stop();
      host.close();
      await f.close();
    }
  },
});
