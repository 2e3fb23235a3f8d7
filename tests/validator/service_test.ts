/**
 * The validator as a service, run as systemd, Docker and a terminal run it: real `deno task
 * validate` processes stopped by SIGTERM and SIGINT mid-evaluation (exit code, time to exit, the
 * W&B run's rows and summary, the step resumed after restart with the losses of an uninterrupted
 * run), the health endpoint, a refused W&B key, `--once` on a failing step, and the weights duty on
 * a turn with nothing to evaluate.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { KeyringPair } from "@polkadot/keyring/types";
import { publishModel } from "../../miner/mod.ts";
import {
  BUNDLED_SCHEDULES,
  type Chain,
  competitionAt,
  DatasetsServerClient,
  devKey,
  epochIndex,
  JsonlRunLog,
  keyFromUri,
  loadSchedule,
  LocalChain,
  LocalModelStore,
  runIteration,
  ValidatorState,
  VERSION,
} from "../../src/mod.ts";
import { fitText, writeQualityModel } from "../../fixtures/mod.ts";
import { until, within } from "../helpers/deadline.ts";
import { runScript } from "../helpers/process.ts";
import { type PublishedSubnet, publishedSubnet, validateCommandLine } from "../helpers/published_subnet.ts";
import { tempDir } from "../helpers/temp.ts";
import { startDatasetsServer } from "../standins/datasets_server.ts";
import { startWandb } from "../standins/wandb.ts";
import { connect, newSubnet, onRuntime, startNode } from "../chain/chopsticks.ts";

/** A fixed genesis, so the seeded pages (and the bigram models' verdicts on them) are the same every run. */
const GENESIS = `0x${"7".padStart(64, "0")}`;

/** The validate command over `dir` (the budget's defaults take all five models into the first step). */
function validateArgs(dir: string, chain: PublishedSubnet, extra: string[] = []): string[] {
  return validateCommandLine(dir, chain, extra);
}

/** hotkey → "status loss" of the state's completed step (the reason too when there is no loss). */
function losses(statePath: string): Map<string, string> {
  const s = new ValidatorState(statePath, { readOnly: true });
  try {
    const step = s.steps().find((x) => x.status === "done")!;
    return new Map(s.evals(step.id).map((e) => [e.hotkey, `${e.status} ${e.loss ?? e.reason}`]));
  } finally {
    s.close();
  }
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`${signal} mid-evaluation: exit 0 within 10 s; the restart completes the step with an uninterrupted run's losses; one W&B row per completed step`, async () => {
    const dir = await tempDir("sn9-stop-");
    const chain = await publishedSubnet(dir, { minerPrefix: "service-miner", genesisHash: GENESIS });
    // The reference: the same chain and store, one uninterrupted step.
    const ref = await tempDir("sn9-stop-ref-");
    await Deno.copyFile(chain.chainDb, join(ref, "chain.sqlite"));
    const refRun = await runScript(
      validateArgs(ref, { chainDb: join(ref, "chain.sqlite"), storeDir: chain.storeDir }, ["--once", "--wandb.off"]),
    );
    assert.equal(refRun.code, 0, refRun.lines.slice(-10).join("\n"));

    const w = startWandb("k".repeat(40));
    try {
      const env = { WANDB_BASE_URL: w.url, WANDB_API_KEY: "k".repeat(40), WANDB_PROJECT: "sn9-service" };
      let evaluating = 0;
      const first = await runScript(validateArgs(dir, chain, ["--once"]), {
        env,
        signal,
        killAt: (line) => / evaluating \(/.test(line) && ++evaluating === 3,
      });
      assert.ok(first.killed, first.lines.join("\n"));
      assert.equal(first.code, 0, first.lines.slice(-10).join("\n"));
      assert.ok(first.exitAfterSignalMs! < 10_000, `exited ${first.exitAfterSignalMs} ms after ${signal}`);
      assert.ok(first.lines.some((l) => l.includes(`${signal}: stopping`)), first.lines.join("\n"));
      const mid = new ValidatorState(join(dir, "v.sqlite"), { readOnly: true });
      const running = mid.runningStep()!;
      assert.ok(running, "the step is left running, to resume");
      const kept = mid.evals(running.id).length;
      assert.ok(kept >= 2 && kept < 5, `${kept} results kept; the abandoned model is not recorded`);
      mid.close();
      assert.equal(w.wandb.history.length, 0, "no row for a step that did not complete");

      const second = await runScript(validateArgs(dir, chain, ["--once"]), { env });
      assert.equal(second.code, 0, second.lines.slice(-10).join("\n"));
      assert.ok(second.lines.some((l) => l.includes(`resuming step ${running.id}`)));
      const expected = losses(join(ref, "v.sqlite"));
      assert.equal([...expected.values()].filter((v) => /^ok \d/.test(v)).length, 5, [...expected.values()].join("\n"));
      assert.deepEqual(losses(join(dir, "v.sqlite")), expected, "the same per-model losses");

      assert.equal(w.wandb.history.length, 1, "exactly one row: one completed step");
      const row = w.wandb.history[0];
      const summary = w.wandb.summaries[row._run as string];
      for (const key of Object.keys(row)) if (!key.startsWith("_")) assert.ok(key in summary, `summary has ${key}`);
      const config = JSON.parse(String(w.wandb.runs.at(-1)!.config));
      assert.equal(config.version.value, VERSION);
      assert.equal(config.uid.value, 0, "the validator's uid");
      assert.equal(config.type.value, "validator");
      assert.match(String(w.wandb.runs.at(-1)!.displayName), /^validator-0-\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d$/);
      assert.equal(w.wandb.completedRuns.length, 2, "both sessions finished their runs");
    } finally {
      await w.close();
    }
  });
}

Deno.test("SIGINT while serving: /health reports the last turn as JSON, then the validator exits 0 promptly", async () => {
  const dir = await tempDir("sn9-sigint-");
  const chain = await publishedSubnet(dir, { minerPrefix: "service-miner", genesisHash: GENESIS });
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...validateArgs(dir, chain, ["--health", String(port), "--interval", "60", "--wandb.off"])],
    cwd: new URL("../../", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  try {
    const body = await until("the health endpoint to report a finished turn", 120_000, async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/health`);
        const json = await r.json();
        return json.lastTurn ? { status: r.status, json } : undefined;
      } catch {
        return undefined;
      }
    }, { everyMs: 200 });
    assert.equal(body.status, 200);
    assert.equal(body.json.status, "ok");
    assert.equal(body.json.version, VERSION);
    assert.equal(body.json.lastTurn.outcome, "done");
    assert.equal(typeof body.json.lastTurn.block, "number");
    assert.ok(body.json.lastTurn.ageSeconds >= 0);
    const signalled = performance.now();
    child.kill("SIGINT");
    const out = await within("the validator to exit after SIGINT", 20_000, output);
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, text.slice(-800));
    assert.ok(performance.now() - signalled < 10_000);
    assert.match(text, /SIGINT: stopping/);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await output.catch(() => {});
  }
});

Deno.test("a refused W&B key: at most two lines about W&B, and the step completes", async () => {
  const dir = await tempDir("sn9-badkey-");
  const chain = await publishedSubnet(dir, { minerPrefix: "service-miner", genesisHash: GENESIS });
  const w = startWandb("the-right-key".padEnd(40, "x"));
  try {
    const run = await runScript(validateArgs(dir, chain, ["--once"]), {
      env: { WANDB_BASE_URL: w.url, WANDB_API_KEY: "a-wrong-key".padEnd(40, "x") },
    });
    assert.equal(run.code, 0, run.lines.slice(-10).join("\n"));
    const about = run.lines.filter((l) => /w&b|wandb/i.test(l));
    assert.ok(about.length <= 2, about.join("\n"));
    assert.ok(about.some((l) => /refused the API key \(HTTP 401\)/.test(l)), about.join("\n"));
    assert.ok(run.lines.some((l) => /step \d+ done/.test(l)));
  } finally {
    await w.close();
  }
});

Deno.test("validate --once exits 1 when its step failed (the datasets-server is unreachable)", async () => {
  const dir = await tempDir("sn9-once-fail-");
  const chain = await publishedSubnet(dir, { minerPrefix: "service-miner", genesisHash: GENESIS });
  const run = await runScript(
    validateArgs(dir, chain, ["--once", "--wandb.off", "--datasets-server", `http://127.0.0.1:${freePort()}`]),
  );
  assert.equal(run.code, 1, run.lines.slice(-10).join("\n"));
  assert.ok(run.lines.some((l) => /step failed, will retry/.test(l)), run.lines.join("\n"));
});

/** A chain with a subnet whose validator holds a permit and commit-reveal v2 on; tempo 10. */
interface DutyChain {
  chain: Chain;
  netuid: number;
  validator: KeyringPair;
  miner: KeyringPair;
  advance(n: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A validator's --once turns: the first, on the competition with a model, commits; the second, in
 * the reveal epoch, lands on the competition with none, and must still reveal.
 */
async function weightsDutyScenario(h: DutyChain) {
  const dir = await tempDir("sn9-duty-");
  const local = await loadSchedule(BUNDLED_SCHEDULES.local);
  // Two competitions: 1 has a model, 2 none; the rotation alternates.
  const schedule = [{
    startBlock: 0,
    competitions: [
      { ...competitionAt(local, 0, 1)!, rewardShare: 0.5 },
      { ...competitionAt(local, 0, 1)!, id: 2, name: "empty", rewardShare: 0.5 },
    ],
  }];
  const store = new LocalModelStore(join(dir, "store"));
  await writeQualityModel("bigram", await fitText(), join(dir, "m"));
  await publishModel({
    store,
    chain: h.chain,
    netuid: h.netuid,
    hotkey: h.miner,
    dir: join(dir, "m"),
    repo: "miner/m",
    competition: schedule[0].competitions[0],
    skipChecks: true,
  });
  await h.advance(3);
  const state = new ValidatorState(join(dir, "v.sqlite"));
  const datasets = await startDatasetsServer();
  const lines: string[] = [];
  const ctx = {
    chain: h.chain,
    store,
    datasets: new DatasetsServerClient({
      baseUrl: datasets.url,
      token: "",
      retry: { attempts: 2, sleep: () => Promise.resolve() },
    }),
    schedule,
    netuid: h.netuid,
    hotkey: h.validator,
    state,
    cacheDir: join(dir, "cache"),
    modelCacheDir: join(dir, "hub"),
    device: "cpu" as const,
    setWeights: true,
    telemetry: new JsonlRunLog(join(dir, "run.jsonl")),
    log: (l: string) => lines.push(l),
  };
  try {
    const first = await runIteration(ctx);
    assert.equal(first.outcome, "done", lines.join("\n"));
    assert.match(first.weightsResult!, /^committed at block \d+, reveal in epoch (\d+)$/, lines.join("\n"));
    const revealEpoch = Number(/reveal in epoch (\d+)/.exec(first.weightsResult!)![1]);
    // Into the reveal epoch; the rotation now gives the empty competition its turn.
    while (epochIndex(await h.chain.currentBlock(), h.netuid, 10) < revealEpoch) await h.advance(1);
    const second = await runIteration(ctx);
    assert.equal(second.outcome, "idle", lines.join("\n"));
    assert.match(second.weightsResult!, /revealed at block \d+ the weights committed at block \d+/);
    assert.ok(state.weightsHistory(5).some((w) => w.result === "revealed"), JSON.stringify(state.weightsHistory(5)));
  } finally {
    state.close();
    await datasets.close();
    await h.close();
  }
}

Deno.test("the weights duty on a turn with nothing to evaluate, on the local chain: the commit is revealed in its epoch", async () => {
  const dir = await tempDir("sn9-duty-local-");
  const chain = LocalChain.open(join(dir, "chain.sqlite"), { clock: { kind: "manual" }, genesisHash: GENESIS });
  chain.createSubnet(1, { tempo: 10, weightsRateLimit: 2, commitRevealEnabled: true });
  const validator = await devKey("Alice");
  const miner = await keyFromUri("//duty-miner");
  await chain.register(1, validator.address, validator);
  await chain.register(1, miner.address, miner);
  chain.addStake(validator.address, 1_000_000_000_000n);
  chain.advance(11);
  await weightsDutyScenario({
    chain,
    netuid: 1,
    validator,
    miner,
    advance: (n) => Promise.resolve(void chain.advance(n)),
    close: () => chain.close(),
  });
});

onRuntime("the weights duty on subtensor spec 218 (chopsticks)", () => {
  Deno.test("the weights duty on a turn with nothing to evaluate, on subtensor spec 218 (chopsticks): the commit is revealed in its epoch", async () => {
    const node = await startNode();
    try {
      const s = await newSubnet(node, {
        miners: 1,
        tempo: 10,
        weightsRateLimit: 2,
        weightsVersionKey: 0,
        maxAllowedValidators: 1,
      });
      await node.setStorage({ SubtensorModule: { CommitRevealWeightsEnabled: [[[s.netuid], true]] } });
      const chain = await connect(node);
      await weightsDutyScenario({
        chain,
        netuid: s.netuid,
        validator: s.validator,
        miner: s.miners[0],
        advance: (n) => node.newBlocks(n),
        close: () => chain.close(),
      });
    } finally {
      await node.close();
    }
  });
});

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
