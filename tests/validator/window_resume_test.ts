/**
 * kill -9 of `deno task validate` in the middle of a pseudo-gradient window (after its first peer
 * was measured), then a restart: the state holds nothing of the window (it is written whole, at
 * its end), the restarted turn evaluates the window from the start, and the checkpoint it makes is
 * the one an uninterrupted validator with its own state makes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  BUNDLED_SCHEDULES,
  devKey,
  loadSchedule,
  LocalChain,
  LocalModelStore,
  type PseudogradCompetition,
  startDatasetsServer,
  ValidatorState,
} from "../../src/mod.ts";
import { publishBase } from "../../tasks/demo/base.ts";
import { runScript } from "../helpers/process.ts";
import { tempDir } from "../helpers/temp.ts";
import { timeLimit } from "../helpers/time_limit.ts";
import { windowCrowd } from "../helpers/window_crowd.ts";

Deno.test("validator: kill -9 mid-window, restart, the window is evaluated whole and to the same checkpoint", async () => {
  timeLimit(780_000); // three validator processes of up to 240 s each, one after another
  const dir = await tempDir("sn9-window-resume-");
  const chainDb = join(dir, "chain.sqlite"), storeDir = join(dir, "store");
  // The local schedule's pseudo-gradient competition, alone in a schedule file, so every turn is its own.
  const competition = (await loadSchedule(BUNDLED_SCHEDULES.local))[0].competitions.find((c) =>
    c.kind === "pseudograd"
  ) as PseudogradCompetition;
  const scheduleFile = join(dir, "schedule.json");
  await Deno.writeTextFile(
    scheduleFile,
    JSON.stringify([{ startBlock: 0, competitions: [{ ...competition, rewardShare: 1 }] }]),
  );

  const chain = LocalChain.open(chainDb, { clock: { kind: "manual" }, genesisHash: `0x${"5".padStart(64, "0")}` });
  const datasets = await startDatasetsServer();
  try {
    chain.createSubnet(1, { tempo: 20, weightsRateLimit: 1 });
    chain.setCommitmentRateLimit(5);
    const validator = await devKey("Alice");
    await chain.register(1, validator.address, validator);
    chain.addStake(validator.address, 1_000_000_000_000n);
    const store = new LocalModelStore(storeDir);
    await publishBase(competition, store, join(dir, "bases"));
    const { crowd } = await windowCrowd({
      competition,
      chain,
      store,
      datasetsUrl: datasets.url,
      dir,
      behaviours: ["honest", "honest", "zero", "copier"],
      prefix: "window",
    });
    await crowd.submitWindow(0, await crowd.startingCheckpoint());
  } finally {
    await datasets.close();
    await chain.close();
  }

  const validate = (name: string) => [
    "tasks/validate.ts",
    "--once",
    "--wandb.off",
    "--dont-set-weights",
    "--chain-db",
    chainDb,
    "--store-dir",
    storeDir,
    "--schedule",
    scheduleFile,
    "--state",
    join(dir, `${name}.sqlite`),
    "--run-log",
    join(dir, `${name}.jsonl`),
    "--cache-dir",
    join(dir, `${name}-cache`),
  ];
  const first = await runScript(validate("v"), { killAt: /uid \d+: own /, timeoutMs: 240_000 });
  assert.ok(first.killed, `killed after the first peer was measured:\n${first.lines.slice(-10).join("\n")}`);
  const killed = new ValidatorState(join(dir, "v.sqlite"), { readOnly: true });
  assert.equal(killed.windows.latest(competition.id), undefined, "nothing of the window was written");
  killed.close();

  const second = await runScript(validate("v"), { timeoutMs: 240_000 });
  assert.equal(second.code, 0, second.lines.slice(-10).join("\n"));
  const reference = await runScript(validate("reference"), { timeoutMs: 240_000 });
  assert.equal(reference.code, 0, reference.lines.slice(-10).join("\n"));
  const [resumed, uninterrupted] = ["v", "reference"].map((name) => {
    const state = new ValidatorState(join(dir, `${name}.sqlite`), { readOnly: true });
    try {
      return { windows: state.windows.windows(competition.id), standing: [...state.windows.standing(competition.id)] };
    } finally {
      state.close();
    }
  });
  assert.deepEqual(resumed.windows.map((w) => w.window), [0], "window 0, once");
  assert.ok(resumed.windows[0].nextHash, "a next checkpoint was made");
  assert.equal(resumed.windows[0].nextHash, uninterrupted.windows[0].nextHash, "the same checkpoint");
  assert.deepEqual(resumed.standing, uninterrupted.standing, "the same standing");
});
