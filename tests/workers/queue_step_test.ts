/**
 * A step whose models are evaluated by workers over a real NATS JetStream server (started by the
 * test on a loopback port): the results, to the bit, are those of the same step evaluated in the
 * validator's own process; each says which worker measured it. NATS semantics relied on, from
 * the server's documentation (docs.nats.io, "JetStream" → "Streams", "Consumers"): a WorkQueue
 * stream keeps a message until a consumer acknowledges it; a message published with a
 * `Nats-Msg-Id` already seen within the stream's duplicate window is dropped; an unacknowledged
 * message is delivered again after the consumer's `ack_wait`, and `+WPI` (`working()`) restarts
 * that timer; `num_delivered` counts the deliveries.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  encodeMessage,
  type EvalQueue,
  LocalModelStore,
  openQueue,
  parseJob,
  QUEUE_NAMES,
  queueEvaluator,
  type ResultMessage,
  serveJobs,
  WIRE_VERSION,
} from "../../src/mod.ts";
import { NATS_SERVER, type NatsServer, startNatsServer, WITHOUT_NATS } from "../helpers/nats_server.ts";
import { within } from "../helpers/deadline.ts";
import { fiveMinerSteps, measured } from "../helpers/five_miner_steps.ts";

Deno.test({
  name: `a step evaluated by two queue workers records the in-process step's losses, to the bit${WITHOUT_NATS}`,
  ignore: !NATS_SERVER,
  fn: async () => {
    const f = await fiveMinerSteps("two");
    let server: NatsServer | undefined;
    const queues: EvalQueue[] = [];
    const stop = new AbortController();
    try {
      const local = await f.step("local");
      assert.equal(local.length, 5);
      assert.ok(
        local.every((e) => /^[0-9a-f]{64}$/.test(e.lossesSha256 ?? "")),
        "every measured model has its losses' hash",
      );

      server = await startNatsServer();
      const coordinator = await openQueue({ url: server.url, timing: { ackWaitMs: 5_000 } });
      queues.push(coordinator);
      const workerLines: string[] = [];
      const workers = [1, 2].map(async (n) => {
        const queue = await openQueue({ url: server!.url });
        queues.push(queue);
        await serveJobs({
          queue,
          lanes: [{ device: "cpu", threads: 1 }],
          store: new LocalModelStore(f.subnet.storeDir),
          cacheDir: join(f.dir, `worker-${n}`, "hub"),
          name: `w${n}`,
          log: (l) => workerLines.push(l),
          signal: stop.signal,
        });
      });
      const lines: string[] = [];
      const queued = await within(
        "the queued step",
        240_000,
        f.step("queued", { evaluator: queueEvaluator(coordinator) }, (l) => lines.push(l)),
      );
      stop.abort();
      await within("the workers to stop", 20_000, Promise.all(workers));

      assert.deepEqual(measured(queued), measured(local), "the same losses, bit for bit");
      for (const e of queued) assert.match(e.evaluatedOn ?? "", /^cpu \(1 thread\), worker w[12] \(onnxruntime-node /);
      const by = new Set(queued.map((e) => e.evaluatedOn!.match(/worker (w\d)/)![1]));
      assert.ok(lines.some((l) => /queued 5 models on nats:\/\/127\.0\.0\.1:\d+/.test(l)), lines.join("\n"));
      assert.ok(by.size >= 1, `workers seen: ${[...by]}`);
      assert.ok(workerLines.some((l) => /evaluating \(step \d+, attempt 1 of 3\)/.test(l)), workerLines.join("\n"));
    } finally {
      stop.abort();
      for (const q of queues) await q.close();
      await server?.stop();
      await f.close();
    }
  },
});

/** One in-process worker on `url` until `signal` aborts, its lines in `lines`. */
async function worker(
  f: Awaited<ReturnType<typeof fiveMinerSteps>>,
  url: string,
  signal: AbortSignal,
  lines: string[],
) {
  const queue = await openQueue({ url });
  try {
    await serveJobs({
      queue,
      lanes: [{ device: "cpu" }],
      store: new LocalModelStore(f.subnet.storeDir),
      cacheDir: join(f.dir, "worker", "hub"),
      name: "w",
      log: (l) => lines.push(l),
      signal,
    });
  } finally {
    await queue.close();
  }
}

/** A promise and the function that settles it. */
function signalled(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  return { promise: new Promise<void>((resolve) => (fire = resolve)), fire };
}

Deno.test({
  name: `the queue server going away pauses the step, which completes when it returns${WITHOUT_NATS}`,
  ignore: !NATS_SERVER,
  fn: async () => {
    const f = await fiveMinerSteps("outage");
    const server = await startNatsServer();
    const lines: string[] = [];
    const coordinator = await openQueue({ url: server.url, timing: { ackWaitMs: 3_000 }, log: (l) => lines.push(l) });
    const stop = new AbortController();
    const workerLines: string[] = [];
    try {
      const local = await f.step("local");
      const firstResult = signalled();
      const w = worker(f, server.url, stop.signal, workerLines);
      const step = f.step("queued", { evaluator: queueEvaluator(coordinator) }, (l) => {
        lines.push(l);
        if (/evaluated by worker/.test(l)) firstResult.fire();
      });
      await within("the first result", 120_000, firstResult.promise);
      await server.stop();
      await server.start(); // the same port and store: the streams, the jobs and the results are kept
      const queued = await within("the step after the outage", 240_000, step);
      stop.abort();
      await within("the worker to stop", 20_000, w);
      assert.deepEqual(measured(queued), measured(local));
      assert.ok(lines.some((l) => /disconnected; waiting for it to come back/.test(l)), lines.join("\n"));
      assert.ok(lines.some((l) => /: reconnected$/.test(l)), lines.join("\n"));
    } finally {
      stop.abort();
      await coordinator.close();
      await server.stop();
      await f.close();
    }
  },
});

Deno.test({
  name:
    `a job whose workers all die is recorded as failed after its attempts; a result with another stream hash is refused and the job issued again${WITHOUT_NATS}`,
  ignore: !NATS_SERVER,
  fn: async () => {
    const f = await fiveMinerSteps("faults");
    const server = await startNatsServer();
    const coordinator = await openQueue({ url: server.url, timing: { ackWaitMs: 1_000 } });
    const stop = new AbortController();
    const workerLines: string[] = [];
    try {
      const local = await f.step("local");
      const lines: string[] = [];
      const published = signalled();
      const step = f.step("queued", { evaluator: queueEvaluator(coordinator, { maxAttempts: 1 }) }, (l) => {
        lines.push(l);
        if (/queued 5 models/.test(l)) published.fire();
      });
      await within("the step's jobs", 120_000, published.promise);
      // Two deliveries taken by "workers" that misbehave, through the same consumer a worker uses.
      const consumer = await coordinator.js.consumers.get(QUEUE_NAMES.jobsStream, QUEUE_NAMES.workers);
      const dies = await within("a job", 20_000, consumer.next({ expires: 10_000 }));
      const lies = await within("a job", 20_000, consumer.next({ expires: 10_000 }));
      assert.ok(dies && lies);
      const died = parseJob(dies.data), lied = parseJob(lies.data);
      // `dies` is never acknowledged: its worker is gone. `lies` answers for a token stream of its own.
      const forged: ResultMessage = {
        v: WIRE_VERSION,
        key: lied.key,
        id: lied.id,
        streamSha256: "f".repeat(64),
        record: {
          status: "ok",
          reason: null,
          loss: 0.001,
          taskLosses: { falcon: 0.001 },
          lossesSha256: "0".repeat(64),
          loadMs: 1,
          computeMs: 1,
        },
        worker: { name: "rogue", device: "cpu", engine: "none", version: "0" },
      };
      await coordinator.js.publish(
        QUEUE_NAMES.resultSubject(lied.key),
        encodeMessage(forged),
        { msgID: lied.id },
      );
      await lies.ackAck();
      const w = worker(f, server.url, stop.signal, workerLines);
      const queued = await within("the step", 240_000, step);
      stop.abort();
      await within("the worker to stop", 20_000, w);

      const byUid = new Map(queued.map((e) => [e.uid, e]));
      const killed = byUid.get(died.model.uid)!;
      assert.equal(killed.status, "failed");
      assert.match(killed.reason!, /^killed: 1 worker ended while evaluating it, none with a result$/);
      const others = queued.filter((e) => e.uid !== died.model.uid);
      assert.deepEqual(measured(others), measured(local.filter((e) => e.uid !== died.model.uid)));
      assert.match(byUid.get(lied.model.uid)!.evaluatedOn!, /worker w /, "the honest worker's result counts");
      assert.ok(
        lines.some((l) =>
          new RegExp(
            `uid ${lied.model.uid}: refused the result of worker rogue: its token stream hashes to ffffffffffff…`,
          )
            .test(l)
        ),
        lines.join("\n"),
      );
      assert.ok(workerLines.some((l) => new RegExp(`uid ${died.model.uid} .*delivered 2 times`).test(l)));
    } finally {
      stop.abort();
      await coordinator.close();
      await server.stop();
      await f.close();
    }
  },
});
