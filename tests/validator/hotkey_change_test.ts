/**
 * A uid whose hotkey changes (the old hotkey deregistered by registration pressure, a new one
 * taking its uid) starts from zero: the moving average its old model earned, the old hotkey's
 * results and its history do not pass to the new owner.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { publishModel } from "../../miner/mod.ts";
import {
  BUNDLED_SCHEDULES,
  competitionAt,
  keyFromUri,
  loadSchedule,
  LocalChain,
  LocalModelStore,
  runStep,
  uidHistory,
  ValidatorState,
} from "../../src/mod.ts";
import { startDatasetsServer } from "../standins/datasets_server.ts";
import { qualityModel } from "../helpers/models.ts";
import { tempDir } from "../helpers/temp.ts";
import { testValidatorContext } from "../helpers/validator_context.ts";

Deno.test("a deregistered hotkey's uid passes to a new hotkey with no moving average, results or history", async () => {
  const root = await tempDir("sn9-hotkey-");
  const datasets = await startDatasetsServer();
  const chain = LocalChain.open(join(root, "chain.sqlite"), {
    clock: { kind: "manual" },
    genesisHash: `0x${"7".padStart(64, "0")}`,
  });
  chain.createSubnet(1, { tempo: 20, weightsRateLimit: 2, maxAllowedUids: 3 });
  const [validator, old, stays, newcomer] = await Promise.all(
    ["v", "old", "stays", "new"].map((n) => keyFromUri(`//${n}`)),
  );
  await chain.register(1, validator.address, validator);
  chain.advance(1);
  await chain.register(1, old.address, old); // older than `stays`: first to go when the subnet is full
  chain.advance(1);
  await chain.register(1, stays.address, stays);
  chain.addStake(validator.address, 10n ** 12n);
  chain.advance(21); // an epoch: the validator earns emission, the miners none
  const store = new LocalModelStore(join(root, "store"));
  const local = await loadSchedule(BUNDLED_SCHEDULES.local);
  const schedule = [{ startBlock: 0, competitions: [{ ...competitionAt(local, 0, 1)!, rewardShare: 1 }] }];
  await publishModel({
    skipChecks: true, // the validator under test does the checking
    store,
    chain,
    netuid: 1,
    hotkey: old,
    dir: await qualityModel("bigram"),
    repo: "old/m",
    competition: schedule[0].competitions[0],
  });
  chain.advance(3);
  const state = new ValidatorState(join(root, "v.sqlite"));
  const ctx = testValidatorContext({
    root,
    chain,
    store,
    datasetsUrl: datasets.url,
    schedule,
    hotkey: validator,
    state,
  });
  try {
    const first = await runStep(ctx);
    const uid = first!.results[0].uid;
    assert.equal(first!.results[0].hotkey, old.address);
    assert.ok((state.ema()[1]?.[uid] ?? 0) > 0, "the old model earned a moving average");
    assert.equal(uidHistory(state, uid)?.length, 1);

    assert.equal(await chain.register(1, newcomer.address, newcomer), uid, "the newcomer takes the old hotkey's uid");
    chain.advance(3);
    const second = await runStep(ctx);
    assert.equal(second, null, "nothing to evaluate: the newcomer has committed nothing");
    assert.equal(state.ema()[1]?.[uid], undefined, "the uid's moving average is gone");
    assert.equal(state.models().find((m) => m.uid === uid), undefined, "the old hotkey's model is forgotten");
    assert.deepEqual(uidHistory(state, uid), [], "the uid's history no longer shows the old hotkey's results");
  } finally {
    state.close();
    await chain.close();
    await datasets.close();
  }
});
