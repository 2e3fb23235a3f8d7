import assert from "node:assert/strict";
import { join } from "node:path";
import { preflight, publishModel } from "../../miner/mod.ts";
import {
  BUNDLED_SCHEDULES,
  competitionAt,
  DatasetsServerClient,
  hashModelDir,
  keyFromUri,
  loadSchedule,
  LocalChain,
  LocalModelStore,
  parseModelId,
  secureHash,
  seedFromHex,
} from "../../src/mod.ts";
import { fitText, QUALITY_CONFIG, randomParameters, writeModelFiles, writeQualityModel } from "../../fixtures/mod.ts";
import { startDatasetsServer } from "../standins/datasets_server.ts";
import { tempDir } from "../helpers/temp.ts";

Deno.test("publishModel() checks, uploads privately, commits a metadata string bound to the hotkey, and refuses an oversized model locally", async () => {
  const server = await startDatasetsServer();
  const root = await tempDir();
  // A fixed genesis fixes the sync block's hash, hence the pages of the preflight: bigram models pass
  // SN9's degenerate-output check for some prompt pairs only (see tasks/demo/scenario.ts).
  const chain = LocalChain.open(join(root, "chain.sqlite"), {
    clock: { kind: "manual" },
    genesisHash: `0x${"7".padStart(64, "0")}`,
  });
  chain.createSubnet(1);
  const miner = await keyFromUri("//miner");
  await chain.register(1, miner.address, miner);
  const store = new LocalModelStore(join(root, "store"));
  const competition = competitionAt(await loadSchedule(BUNDLED_SCHEDULES.local), 0, 1)!;
  const dir = join(root, "model");
  await writeQualityModel("bigram", await fitText(), dir);
  const checks = { datasets: new DatasetsServerClient({ baseUrl: server.url, token: "" }), cacheDir: await tempDir() };
  const p = await publishModel({
    store,
    chain,
    netuid: 1,
    hotkey: miner,
    dir,
    repo: "miner/model",
    competition,
    checks,
  });
  assert.equal(p.checked?.passes, true);
  const id = parseModelId((await chain.commitment(1, miner.address))!.data);
  assert.equal(id.commit, p.commit);
  assert.equal(id.secureHash, secureHash((await hashModelDir(dir)).hash, miner.address));
  assert.equal((await store.revision("miner/model", p.commit)).private, true);

  const big = { ...QUALITY_CONFIG, n_embd: 520 };
  await writeModelFiles(join(root, "big"), { config: big, tensors: randomParameters(big, 1, 0.02), dtype: "F32" });
  await assert.rejects(
    () =>
      publishModel({
        store,
        chain,
        netuid: 1,
        hotkey: miner,
        dir: join(root, "big"),
        repo: "miner/big",
        competition,
        checks,
        replace: true,
      }),
    /not uploaded: a validator would reject it: limits: /,
  );
  // A model whose output is degenerate (a unigram model says the same thing whatever the prompt).
  await writeQualityModel("unigram", await fitText(), join(root, "degenerate"));
  await assert.rejects(
    () =>
      publishModel({
        store,
        chain,
        netuid: 1,
        hotkey: miner,
        dir: join(root, "degenerate"),
        repo: "miner/deg",
        competition,
        checks,
        replace: true,
      }),
    /not uploaded: a validator would reject it: degenerate: continuations of different prompts agree/,
  );
  await assert.rejects(() => store.revision("miner/deg", "main"), "nothing was uploaded");
  await assert.rejects(() => store.revision("miner/big", "main"), "nothing was uploaded");
  // A second commitment for the same hotkey needs the miner's confirmation: it restarts the epsilon advantage.
  await assert.rejects(
    () => publishModel({ store, chain, netuid: 1, hotkey: miner, dir, repo: "miner/again", competition, checks }),
    /already committed miner\/model@.*restarts the epsilon advantage/,
  );
  await assert.rejects(() => store.revision("miner/again", "main"), "nothing was uploaded");
  // An unregistered hotkey pushes nothing.
  const stranger = await keyFromUri("//stranger");
  await assert.rejects(
    () => publishModel({ store, chain, netuid: 1, hotkey: stranger, dir, repo: "stranger/m", competition, checks }),
    /is not registered on subnet 1/,
  );
  await chain.close();
  await server.close();
});

Deno.test("preflight() gives the loss on the step's pages and a verdict with today's epsilon", async () => {
  const server = await startDatasetsServer();
  try {
    const competition = competitionAt(await loadSchedule(BUNDLED_SCHEDULES.local), 0, 1)!;
    const dir = join(await tempDir(), "m");
    await writeQualityModel("bigram", await fitText(), dir);
    const base = {
      dir,
      competition,
      client: new DatasetsServerClient({ baseUrl: server.url, token: "" }),
      seed: seedFromHex("77".repeat(32)),
      block: 10,
      cacheDir: await tempDir(),
    };
    const alone = await preflight(base);
    assert.equal(alone.passes, true);
    const loss = alone.loss!;
    assert.ok(loss > 2 && loss < 4.5);
    // A leader committed at block 10 with our loss: at block 10 its epsilon is 0.005, so we lose;
    // a leader 1% worse than us is beaten even after its discount.
    const tie = await preflight({ ...base, leaders: [{ uid: 1, loss, block: 10 }] });
    assert.match(tie.verdict, /^loses: /);
    const worse = await preflight({ ...base, leaders: [{ uid: 1, loss: loss * 1.01, block: 10 }] });
    assert.match(worse.verdict, /^wins: /);
  } finally {
    await server.close();
  }
});
