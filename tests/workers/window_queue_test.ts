/**
 * Pseudo-gradient windows measured by queue workers over a real NATS JetStream server: one
 * validator measures its windows in its own process, another hands them to two workers (one job
 * for the global model's losses and one per evaluated peer), which fetch the global checkpoint by
 * reference, the pinned base for window 0 and the second validator's published checkpoint after.
 * Both validators make the same checkpoints and the same weights, and every peer's losses are the
 * in-process ones to the bit (the same float32 graph on one thread each side).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  BUNDLED_SCHEDULES,
  checkpointRepo,
  devKey,
  type EvalQueue,
  HttpError,
  loadSchedule,
  LocalChain,
  LocalModelStore,
  openQueue,
  type PseudogradCompetition,
  queueWindowMeasurer,
  runStep,
  serveJobs,
  startDatasetsServer,
} from "../../src/mod.ts";
import { publishBase } from "../../tasks/demo/base.ts";
import { within } from "../helpers/deadline.ts";
import { NATS_SERVER, type NatsServer, startNatsServer, WITHOUT_NATS } from "../helpers/nats_server.ts";
import { tempDir } from "../helpers/temp.ts";
import { testValidatorContexts } from "../helpers/validator_context.ts";
import { storeWith } from "../helpers/store_with.ts";
import { windowCrowd } from "../helpers/window_crowd.ts";

Deno.test({
  name:
    `pseudo-gradient windows measured by two queue workers give the in-process checkpoints, weights and losses${WITHOUT_NATS}`,
  ignore: !NATS_SERVER,
  fn: async () => {
    const root = await tempDir("sn9-window-queue-");
    const competition = (await loadSchedule(BUNDLED_SCHEDULES.local))[0].competitions.find((c) =>
      c.kind === "pseudograd"
    ) as PseudogradCompetition;
    const schedule = [{ startBlock: 0, competitions: [{ ...competition, rewardShare: 1 }] }];
    const chain = LocalChain.open(join(root, "chain.sqlite"), { clock: { kind: "manual" } });
    const store = new LocalModelStore(join(root, "store"));
    const datasets = await startDatasetsServer();
    let server: NatsServer | undefined;
    const queues: EvalQueue[] = [];
    const stop = new AbortController();
    let workers: Promise<unknown> | undefined;
    try {
      chain.createSubnet(1, { tempo: 20, weightsRateLimit: 1 });
      chain.setCommitmentRateLimit(5);
      const validators = [await devKey("Alice"), await devKey("Bob")];
      for (const v of validators) {
        await chain.register(1, v.address, v);
        chain.addStake(v.address, 1_000_000_000_000n);
      }
      await publishBase(competition, store, join(root, "bases"));
      const { crowd } = await windowCrowd({
        competition,
        chain,
        store,
        datasetsUrl: datasets.url,
        dir: root,
        behaviours: ["honest", "honest", "generic", "zero", "scaler", "copier"],
        prefix: "queued",
      });

      server = await startNatsServer();
      const coordinator = await openQueue({ url: server.url, timing: { ackWaitMs: 5_000 } });
      queues.push(coordinator);
      const workerLines: string[] = [];
      // The workers' store, which the test can take down: a part a worker cannot fetch for fails its window's turn.
      let down = false;
      const workerStore = storeWith(store, {
        revision: (repo, revision) =>
          down ? Promise.reject(new HttpError(503, "store down", { transient: true })) : store.revision(repo, revision),
      });
      workers = Promise.all([1, 2].map(async (n) => {
        const queue = await openQueue({ url: server!.url });
        queues.push(queue);
        await serveJobs({
          queue,
          lanes: [{ device: "cpu", threads: 1 }],
          store: workerStore,
          cacheDir: join(root, `worker-${n}`, "hub"),
          name: `w${n}`,
          log: (l) => workerLines.push(l),
          signal: stop.signal,
        });
      }));

      // Alice measures in her own process; Bob's windows go to the workers, on his published checkpoints.
      const lines: string[][] = [[], []];
      const [alice, bob] = testValidatorContexts(
        { root, chain, store, datasetsUrl: datasets.url, schedule },
        validators,
        (i) => (l) => lines[i].push(l),
        (i) => ({
          lanes: [{ device: "cpu", threads: 1 }],
          publishCheckpoints: i === 0 ? "alice" : "bob",
          windowWorkers: i === 1 ? queueWindowMeasurer(coordinator) : undefined,
        }),
      );
      let global = await crowd.startingCheckpoint();
      for (let w = 0; w < 2; w++) {
        await crowd.submitWindow(w, global);
        const a = await runStep(alice);
        if (w === 1) {
          // The workers' store is away: the turn fails whole and writes nothing; the next one measures
          // every part again rather than take the failed parts' results from the stream.
          down = true;
          await assert.rejects(
            within("the failing turn", 240_000, runStep(bob)),
            /window 1: the workers could not measure .*store down/,
          );
          assert.equal(bob.state.windows.latest(competition.id)!.window, 0);
          down = false;
        }
        const b = await within(`window ${w} on the workers`, 240_000, runStep(bob));
        const [wa, wb] = [alice, bob].map((ctx) => ctx.state.windows.latest(competition.id)!);
        assert.equal(wb.window, w);
        assert.equal(wb.nextHash, wa.nextHash, `window ${w}: the same next checkpoint`);
        assert.deepEqual([...b!.weights], [...a!.weights], `window ${w}: the same weights`);
        const rows = (ctx: typeof alice, stepId: number) =>
          ctx.state.evals(stepId).map((e) => [e.uid, e.status, e.loss, e.taskLosses, e.explanation]);
        assert.deepEqual(rows(bob, wb.stepId), rows(alice, wa.stepId), `window ${w}: every peer's losses, to the bit`);
        assert.equal(wb.heldOutBefore, wa.heldOutBefore);
        assert.equal(wb.published?.repo, checkpointRepo("bob", competition.name));
        global = await crowd.publishedCheckpoint(checkpointRepo("alice", competition.name));
      }
      // Bob's windows went to the queue: the global part and each evaluated peer's, by both workers'
      // consumer, and window 1's global checkpoint came from his published repo.
      const scored = bob.state.evals(bob.state.windows.latest(competition.id)!.stepId).filter((e) =>
        e.status === "ok"
      ).length;
      assert.ok(
        lines[1].some((l) => new RegExp(`queued ${scored + 1} parts of window 1 on nats://`).test(l)),
        lines[1].join("\n"),
      );
      assert.ok(!lines[0].some((l) => /queued/.test(l)), "Alice measured in her own process");
      assert.ok(workerLines.some((l) => /window 1 of competition \d+, the global model: evaluating/.test(l)));
      assert.ok(workerLines.some((l) => /window 1 of competition \d+, uid \d+: evaluating/.test(l)));
      assert.ok(lines[1].some((l) => /uid \d+: evaluated by worker w[12] on cpu/.test(l)));
    } finally {
      stop.abort();
      if (workers) await within("the workers to stop", 20_000, workers);
      await within(
        "the queues, the server and the pages to close",
        30_000,
        (async () => {
          for (const q of queues) await q.close();
          await server?.stop();
          await datasets.close();
        })(),
      );
      await chain.close();
    }
  },
});
