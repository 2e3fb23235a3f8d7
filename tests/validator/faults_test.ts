/**
 * Outside services failing in the middle of a step: the step fails or degrades with a reason,
 * nothing half-done is recorded as done, and the next step completes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { KeyringPair } from "@polkadot/keyring/types";
import { publishModel } from "../../miner/mod.ts";
import {
  BUNDLED_SCHEDULES,
  type Chain,
  ChainRejected,
  competitionAt,
  DatasetsServerClient,
  JsonlRunLog,
  keyFromUri,
  loadSchedule,
  LocalChain,
  LocalModelStore,
  type ModelStore,
  runStep,
  StepSkipped,
  ValidatorState,
} from "../../src/mod.ts";
import { tinyModel } from "../helpers/models.ts";
import { fitText, writeQualityModel } from "../../fixtures/mod.ts";
import { startDatasetsServer } from "../standins/datasets_server.ts";
import { tempDir } from "../helpers/temp.ts";

/** `target` with some methods replaced; the others stay bound to `target` (private fields work). */
function withOverrides<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get: (
      t,
      p,
    ) => (p in overrides
      ? (overrides as Record<PropertyKey, unknown>)[p]
      : typeof (t as any)[p] === "function"
      ? (t as any)[p].bind(t)
      : (t as any)[p]),
  });
}

async function setup() {
  const root = await tempDir("sn9-faults-");
  const datasets = await startDatasetsServer();
  const chain = LocalChain.open(join(root, "chain.sqlite"), {
    clock: { kind: "manual" },
    genesisHash: `0x${"7".padStart(64, "0")}`,
  });
  chain.createSubnet(1, { tempo: 20, weightsRateLimit: 2 });
  const validator = await keyFromUri("//validator");
  const miner = await keyFromUri("//miner");
  await chain.register(1, validator.address, validator);
  await chain.register(1, miner.address, miner);
  chain.addStake(validator.address, 1_000_000_000_000n);
  chain.advance(21);
  const store = new LocalModelStore(join(root, "store"));
  // Competition 1 alone, so every step is its turn.
  const local = await loadSchedule(BUNDLED_SCHEDULES.local);
  const schedule = [{ startBlock: 0, competitions: [{ ...competitionAt(local, 0, 1)!, rewardShare: 1 }] }];
  const dir = join(root, "m");
  await writeQualityModel("bigram", await fitText(), dir);
  await publishModel({
    skipChecks: true, // the validator under test does the checking
    store,
    chain,
    netuid: 1,
    hotkey: miner,
    dir,
    repo: "miner/m",
    competition: schedule[0].competitions[0],
  });
  chain.advance(3);
  const state = new ValidatorState(join(root, "v.sqlite"));
  const lines: string[] = [];
  const ctx = (over: { chain?: Chain; store?: ModelStore; datasets?: DatasetsServerClient } = {}) => ({
    chain: over.chain ?? chain,
    store: over.store ?? store,
    datasets: over.datasets ??
      new DatasetsServerClient({
        baseUrl: datasets.url,
        token: "",
        retry: { attempts: 2, sleep: () => Promise.resolve() },
      }),
    schedule,
    netuid: 1,
    hotkey: validator as KeyringPair,
    state,
    cacheDir: join(root, "cache"),
    modelCacheDir: join(root, "hub"),
    device: "cpu" as const,
    setWeights: true,
    telemetry: new JsonlRunLog(join(root, "run.jsonl")),
    log: (l: string) => lines.push(l),
  });
  const close = async () => {
    state.close();
    await chain.close();
    await datasets.close();
  };
  return { root, chain, store, datasets, state, ctx, close, lines, schedule, local, miner };
}

Deno.test("the datasets-server failing mid-step: the step fails before it is recorded, the next one completes", async () => {
  const s = await setup();
  try {
    // Two 503s: both attempts of the first step fail; the second step finds the server back.
    s.datasets.standIn.faults.push(...Array(2).fill({ kind: "status", status: 503, path: "/rows" }));
    await assert.rejects(() => runStep(s.ctx()), /returned 503/);
    assert.equal(s.state.steps().length, 0, "no half step is recorded");
    const summary = await runStep(s.ctx());
    assert.equal(summary?.results[0].status, "ok");
    assert.equal(s.state.steps()[0].status, "done");
  } finally {
    await s.close();
  }
});

Deno.test("the model store failing mid-step: the model is marked failed with the reason and retried next step", async () => {
  const s = await setup();
  try {
    let broken = true;
    const flaky: ModelStore = withOverrides<ModelStore>(s.store, {
      download: (...args) =>
        broken ? Promise.reject(new Error("connection reset by the hub")) : s.store.download(...args),
    });
    const first = await runStep(s.ctx({ store: flaky }));
    assert.equal(first?.results[0].status, "failed");
    assert.match(first!.results[0].reason!, /connection reset by the hub/);
    broken = false;
    s.chain.advance(3);
    const second = await runStep(s.ctx({ store: flaky }));
    assert.equal(second?.results[0].status, "ok");
  } finally {
    await s.close();
  }
});

Deno.test("the chain refusing set_weights: the step completes and records the refusal; weights go out later", async () => {
  const s = await setup();
  try {
    const refusing = withOverrides<Chain>(s.chain, {
      setWeights: () => Promise.reject(new ChainRejected("SettingWeightsTooFast", "injected")),
    });
    const first = await runStep(s.ctx({ chain: refusing }));
    assert.match(first!.weightsResult, /failed: SettingWeightsTooFast/);
    assert.equal(s.state.steps()[0].status, "done");
    s.chain.advance(3);
    const second = await runStep(s.ctx());
    assert.match(second!.weightsResult, /^set at block/);
    assert.deepEqual(s.state.lastWeightsSet()?.result, "set");
  } finally {
    await s.close();
  }
});

Deno.test("a competition whose data always fails is recorded and skipped; the next competition's step completes", async () => {
  const s = await setup();
  try {
    // Competition 2 (tiny-llama: falcon + fineweb) first, then competition 1; a tiny Llama in 2.
    const [one, two] = s.local[0].competitions;
    const schedule = [{ startBlock: 0, competitions: [two, one] }];
    const trent = await keyFromUri("//trent");
    await s.chain.register(1, trent.address, trent);
    await publishModel({
      skipChecks: true, // the validator under test does the checking
      store: s.store,
      chain: s.chain,
      netuid: 1,
      hotkey: trent,
      dir: await tinyModel("llama-f32-untied"),
      repo: "trent/llama",
      competition: two,
    });
    s.chain.advance(3);
    // fineweb's /size keeps answering 503: competition 2 can never prepare its data.
    s.datasets.standIn.faults.push(...Array(10).fill({ kind: "status", status: 503, path: "/size" }));
    const ctx = () => ({ ...s.ctx(), schedule, maxDataAttempts: 2 });
    await assert.rejects(() => runStep(ctx()), /returned 503/);
    assert.equal(s.state.steps().length, 0, "one failed try is retried, not recorded");
    assert.match(s.lines.join("\n"), /competition 2: data preparation failed \(try 1 of 2\)/);
    await assert.rejects(() => runStep(ctx()), (e: unknown) => e instanceof StepSkipped && e.competitionId === 2);
    const [failed] = s.state.steps();
    assert.equal(failed.status, "failed");
    assert.equal(failed.competitionId, 2);
    assert.match(failed.reason!, /data preparation failed 2 times: GET \/size \(HuggingFaceFW\/fineweb\) returned 503/);
    const runLog = (await Deno.readTextFile(join(s.root, "run.jsonl"))).split("\n").filter(Boolean).map((l) =>
      JSON.parse(l)
    );
    assert.equal(runLog.find((r) => r.kind === "step_failed")?.competition, 2);

    const next = await runStep(ctx());
    assert.equal(next?.competition.id, 1, "the rotation moved on");
    assert.equal(s.state.steps()[0].status, "done");

    // A lasting refusal skips at once: no retries can mend it.
    s.datasets.standIn.faults.length = 0;
    s.datasets.standIn.faults.push({ kind: "status", status: 404, code: "ResponseNotFound", path: "/size" });
    await assert.rejects(() => runStep(ctx()), StepSkipped);
    assert.match(s.state.steps()[0].reason!, /data preparation failed: .*404 ResponseNotFound/);
  } finally {
    await s.close();
  }
});

Deno.test("30 steps with changing commitments keep the model cache under its cap; another tool's files survive", async () => {
  const s = await setup();
  try {
    s.chain.setCommitmentRateLimit(3); // a new commitment every step
    const hub = join(s.root, "hub");
    const foreign = join(hub, "models--someone--else", "blobs", "e".repeat(64));
    await Deno.mkdir(join(foreign, ".."), { recursive: true });
    await Deno.writeFile(foreign, new Uint8Array(3_000_000));
    const modelBytes = (await Deno.stat(join(s.root, "m", "model.safetensors"))).size;
    const cap = Math.floor(2.5 * modelBytes);
    const text = await fitText();
    const usage = async () => {
      let n = 0;
      for await (const repo of Deno.readDir(hub)) {
        if (repo.name === "models--someone--else") continue;
        for await (const b of Deno.readDir(join(hub, repo.name, "blobs"))) {
          n += (await Deno.stat(join(hub, repo.name, "blobs", b.name))).size;
        }
      }
      return n;
    };
    let peak = 0;
    for (let i = 0; i < 30; i++) {
      const dir = join(s.root, `m${i}`);
      await writeQualityModel("bigram", text, dir, { smoothing: 1 + i }); // new weights, new commitment every step
      await publishModel({
        skipChecks: true, // the validator under test does the checking
        store: s.store,
        chain: s.chain,
        netuid: 1,
        hotkey: s.miner,
        dir,
        repo: "miner/m",
        competition: s.schedule[0].competitions[0],
        replace: true,
      });
      s.chain.advance(3);
      const summary = await runStep({ ...s.ctx(), modelCacheMaxBytes: cap });
      assert.equal(
        summary?.results[0].revision,
        s.state.models()[0].revision,
        `step ${i} evaluated the new commitment`,
      );
      peak = Math.max(peak, await usage());
      assert.ok(await usage() <= cap, `after step ${i}: ${await usage()} bytes over the cap ${cap}`);
    }
    assert.ok(peak > modelBytes, "the cache really held models");
    assert.equal((await Deno.stat(foreign)).size, 3_000_000, "another tool's file survives");
    assert.ok(s.state.ownedCache().length <= 2);
    assert.match(s.lines.join("\n"), /model cache: evicted 1 unreferenced models/);
  } finally {
    await s.close();
  }
});
