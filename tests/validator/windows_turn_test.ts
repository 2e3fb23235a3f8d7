/**
 * A pseudo-gradient competition through the validator's own path (src/validator/windows): miners
 * push `pseudograd.safetensors` to the local model store and commit it on the embedded chain each
 * window (tasks/demo/pseudograd_miners.ts), and two validators, each with its own state and cache
 * directory, take turns (`runStep`) that read the commitments at the deadline block, fetch and
 * hash-check the files, draw the window's pages from block hashes through the datasets-server
 * stand-in, and evaluate. Asserted over three windows: both validators arrive at the same next
 * checkpoint hash and the same weights every window; the held-out loss falls window over window;
 * the copier is caught by overlap, the ×20 scaler clipped, the zero update gains exactly 0, the
 * broken file refused by its rule and the late one as late; honest miners end above the generic
 * one; a window cut short by a failure is evaluated again from the start with the same result.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { bigramParameters, QUALITY_CONFIG, writeModelFiles } from "../../fixtures/mod.ts";
import {
  checkpointRepo,
  devKey,
  hashModelDir,
  HttpError,
  LocalChain,
  LocalModelStore,
  ordinal,
  type PseudogradCompetition,
  runStep,
  startDatasetsServer,
  validateSchedule,
} from "../../src/mod.ts";
import { pseudogradStartingText } from "../../tasks/demo/base.ts";
import { tempDir } from "../helpers/temp.ts";
import { tinyCompetition, tinyPseudogradRules } from "../helpers/competitions.ts";
import { testValidatorContexts } from "../helpers/validator_context.ts";
import { storeWith } from "../helpers/store_with.ts";
import { windowCrowd } from "../helpers/window_crowd.ts";

/** Five windows run in tests/pseudograd/windows_test.ts on the library alone; three here, through chain, store and pages. */
const WINDOWS = 3;

Deno.test("pseudo-gradient windows through the validator: two validators agree on every checkpoint and weight, cheats are caught, the global model improves", async () => {
  const root = await tempDir("sn9-windows-");
  const chain = LocalChain.open(join(root, "chain.sqlite"), { clock: { kind: "manual" } });
  const store = new LocalModelStore(join(root, "store"));
  const datasets = await startDatasetsServer();
  try {
    chain.createSubnet(1, { tempo: 20, weightsRateLimit: 1, maxAllowedValidators: 4 });
    chain.setCommitmentRateLimit(5);

    // The pinned starting checkpoint: a byte bigram model of two pages of generic text.
    const baseDir = join(root, "base");
    const startingText = await pseudogradStartingText();
    await writeModelFiles(baseDir, {
      config: QUALITY_CONFIG,
      tensors: bigramParameters(startingText, 1),
      dtype: "F32",
    });
    const revision = await store.upload({
      repo: "sn9/pseudograd-base",
      dir: baseDir,
      paths: ["config.json", "model.safetensors"],
    });
    const baseHash = (await hashModelDir(baseDir)).hash;
    const schedule = validateSchedule([{ startBlock: 0, competitions: [competition(revision, baseHash)] }]);
    const c = schedule[0].competitions[0] as PseudogradCompetition;

    // Two validators, staked, then the miners.
    const validators = [await devKey("Alice"), await devKey("Charlie")];
    for (const v of validators) {
      await chain.register(1, v.address, v);
      chain.addStake(v.address, 1_000_000_000_000n);
    }
    const { crowd, miners } = await windowCrowd({
      competition: c,
      chain,
      store,
      datasetsUrl: datasets.url,
      dir: root,
      behaviours: ["honest", "honest", "honest", "generic", "scaler", "zero", "copier", "broken", "late"],
      prefix: "",
    });
    chain.advance(21); // one epoch: the staked validators get their permits
    const uidOf = (b: string) => miners.find((m) => m.behaviour === b)!.uid;
    const honest = miners.filter((m) => m.behaviour === "honest").map((m) => m.uid);

    // The first validator publishes its checkpoints; the miners pull each window's from the store.
    const logs: string[] = [];
    const contexts = testValidatorContexts(
      { root, chain, store, datasetsUrl: datasets.url, schedule },
      validators,
      (i) => i === 0 ? (line) => logs.push(line) : () => {},
      (i) => ({ setWeights: i === 0, publishCheckpoints: i === 0 ? "alice" : undefined }),
    );
    const published = checkpointRepo("alice", c.name);

    // Before the first deadline there is nothing to evaluate.
    assert.equal(await runStep(contexts[0]), null);

    let global = await crowd.startingCheckpoint();
    for (let w = 0; w < WINDOWS; w++) {
      await crowd.submitWindow(w, global);
      if (w === 1) {
        // A window cut short: the store answers 503 mid-window. The turn fails without writing
        // anything (no peer is slashed for the store's outage), and the next turn evaluates the
        // window from the start; the other validator's agreement below shows nothing was lost.
        const away = storeWith(store, {
          revision: () => Promise.reject(new HttpError(503, "store down", { transient: true })),
        });
        await assert.rejects(runStep({ ...contexts[0], store: away }), /store down/);
        assert.equal(contexts[0].state.windows.latest(c.id)!.window, 0);
      }
      const summaries = [];
      if (w === 0) {
        // The store refuses the upload: the window stands, its checkpoint is not published, and
        // the validator's next turn (nothing else due) publishes it.
        const refusing = storeWith(store, {
          upload: () => Promise.reject(new HttpError(503, "store down", { transient: true })),
        });
        summaries.push(await runStep({ ...contexts[0], store: refusing }));
        assert.equal(contexts[0].state.windows.latest(c.id)!.published, null);
        assert.ok(
          logs.some((l) =>
            /window 0's checkpoint was not published to alice\/.*store down.*next turn tries again/.test(l)
          ),
        );
        await assert.rejects(crowd.publishedCheckpoint(published), /has no revision main/);
        assert.equal(await runStep(contexts[0]), null, "nothing else is due");
      } else summaries.push(await runStep(contexts[0]));
      summaries.push(await runStep(contexts[1]));
      const [a, b] = contexts.map((ctx) => ctx.state.windows.latest(c.id)!);
      assert.equal(a.window, w);
      assert.equal(a.nextHash, b.nextHash, `window ${w}: both validators make the same next checkpoint`);
      assert.deepEqual([...summaries[0]!.weights], [...summaries[1]!.weights], `window ${w}: the same weights`);
      assert.ok(a.heldOutAfter! < a.heldOutBefore!, `window ${w}: held-out ${a.heldOutBefore} → ${a.heldOutAfter}`);

      const rows = new Map(contexts[0].state.evals(a.stepId).map((e) => [e.uid, e]));
      assert.match(rows.get(uidOf("copier"))!.reason!, /^copy: 100\.0% of its positions are uid \d+'s \(mega\)/);
      assert.match(rows.get(uidOf("scaler"))!.explanation!, /clip 0\.0[0-5]\d*/);
      assert.match(rows.get(uidOf("zero"))!.explanation!, /^g 0\.000e\+0,/);
      assert.match(
        rows.get(uidOf("broken"))!.reason!,
        [/^invalid: codes: /, /^invalid: values: .*NaN/, /^invalid: indices: .*twice/, /^invalid: header: /][w % 4],
      );
      assert.match(rows.get(uidOf("late"))!.reason!, /^late: committed at block \d+, after the deadline$/);
      // What the miners train on next: the checkpoint as published, the one both validators made.
      const pulled = await crowd.publishedCheckpoint(published);
      assert.deepEqual([pulled.window, pulled.hash], [w, a.nextHash]);
      assert.equal(a.published!.repo, published);
      global = pulled;
      console.log(
        `window ${w}: next ${a.nextHash!.slice(0, 12)}…, held-out ${a.heldOutBefore!.toFixed(4)} → ${
          a.heldOutAfter!.toFixed(4)
        }`,
      );
    }
    // The interrupted window was evaluated once, by the turn after.
    const done = contexts[0].state.windows.windows(c.id);
    assert.deepEqual(done.map((w) => w.window), [0, 1, 2]);
    // Each window's checkpoint was published as its own commit; only the latest is kept on disk.
    assert.equal(new Set(done.map((w) => w.published?.revision)).size, 3);
    for (const w of done.slice(0, -1)) await assert.rejects(Deno.stat(w.nextDir!), Deno.errors.NotFound);
    await Deno.stat(done.at(-1)!.nextDir!);
    assert.equal(contexts[0].state.steps().filter((s) => s.status !== "done").length, 0);
    // Honest miners end above the generic one: rated higher (by g), and paid no less (B is a slow
    // average of a noisy indicator, so an honest miner can sit at final 0 after three windows).
    const standing = contexts[0].state.windows.standing(c.id);
    const generic = standing.get(uidOf("generic"))!;
    for (const uid of honest) {
      const s = standing.get(uid)!;
      const says = `uid ${uid} ${JSON.stringify(s)} vs generic ${JSON.stringify(generic)}`;
      assert.ok(ordinal(s) > ordinal(generic), says);
      assert.ok(s.final >= generic.final, says);
    }
    // The first validator's weights reached the chain.
    assert.ok(contexts[0].state.lastWeightsSet()?.result === "set");
  } finally {
    await datasets.close();
    await chain.close();
  }
});

/** The competition: windows of 20 blocks from block 40, 5 to commit in; Templar's scoring constants. */
function competition(revision: string, hash: string) {
  return tinyCompetition({
    id: 4,
    name: "tiny-pseudograd",
    kind: "pseudograd",
    pseudograd: tinyPseudogradRules({ repo: "sn9/pseudograd-base", revision, hash }, 40),
  });
}
