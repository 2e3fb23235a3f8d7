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
  BUNDLED_SCHEDULES,
  devKey,
  type EvalQueue,
  type Evaluator,
  loadSchedule,
  LocalChain,
  LocalModelStore,
  openQueue,
  queueEvaluator,
  runStep,
  serveJobs,
  ValidatorState,
} from "../../src/mod.ts";
import { NATS_SERVER, type NatsServer, startNatsServer } from "../helpers/nats_server.ts";
import { publishedSubnet } from "../helpers/published_subnet.ts";
import { tempDir } from "../helpers/temp.ts";
import { testValidatorContext } from "../helpers/validator_context.ts";
import { startDatasetsServer } from "../standins/datasets_server.ts";
import { within } from "../helpers/deadline.ts";

const needs = NATS_SERVER ? "" : " (skipped: nats-server is not installed; .ci/run installs it)";

/** The five-miner subnet, the datasets stand-in and a runner of one step with a given evaluator. */
async function fixture(prefix: string) {
  const dir = await tempDir(`sn9-queue-${prefix}-`);
  const subnet = await publishedSubnet(dir, {
    minerPrefix: `${prefix}-miner`,
    genesisHash: `0x${"5".padStart(64, "0")}`,
  });
  const datasets = await startDatasetsServer();
  const chain = LocalChain.open(subnet.chainDb, { clock: { kind: "manual" } });
  const schedule = await loadSchedule(BUNDLED_SCHEDULES.local);
  const step = async (name: string, evaluator?: Evaluator, log: (l: string) => void = () => {}) => {
    const state = new ValidatorState(join(dir, `${name}.sqlite`));
    try {
      const ctx = testValidatorContext(
        {
          root: join(dir, name),
          chain,
          store: new LocalModelStore(subnet.storeDir),
          datasetsUrl: datasets.url,
          schedule,
          hotkey: await devKey("Alice"),
          state,
        },
        log,
        { evaluator },
      );
      const summary = (await runStep(ctx))!;
      return state.evals(summary.stepId);
    } finally {
      state.close();
    }
  };
  return {
    dir,
    subnet,
    step,
    close: async () => {
      await chain.close();
      await datasets.close();
    },
  };
}

/** What must be identical between two runs of one step: each model's status, losses and per-sequence losses' hash. */
function measured(
  evals: { uid: number; status: string; loss: number | null; taskLosses: unknown; lossesSha256?: string | null }[],
) {
  return evals.map((e) => [e.uid, e.status, e.loss, e.taskLosses, e.lossesSha256]);
}

Deno.test({
  name: `a step evaluated by two queue workers records the in-process step's losses, to the bit${needs}`,
  ignore: !NATS_SERVER,
  fn: async () => {
    const f = await fixture("two");
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
        f.step("queued", queueEvaluator(coordinator), (l) => lines.push(l)),
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
