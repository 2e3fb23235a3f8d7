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
  ValidatorState,
} from "../../src/mod.ts";
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
  chain.register(1, validator.address, validator.address);
  chain.register(1, miner.address, miner.address);
  chain.addStake(validator.address, 1e12);
  chain.advance(21);
  const store = new LocalModelStore(join(root, "store"));
  // Competition 1 alone, so every step is its turn.
  const local = await loadSchedule(BUNDLED_SCHEDULES.local);
  const schedule = [{ startBlock: 0, competitions: [{ ...competitionAt(local, 0, 1)!, rewardShare: 1 }] }];
  const dir = join(root, "m");
  await writeQualityModel("bigram", await fitText(), dir);
  await publishModel({
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
  return { chain, store, datasets, state, ctx, close, lines };
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
