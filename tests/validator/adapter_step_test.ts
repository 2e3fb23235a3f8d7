/**
 * Adapter competitions through the validator's step: the pinned base is fetched, checked against
 * its hash and scored once per step (kept with the step, so a resumed step does not score it
 * again); adapters are checked against it before download and compiled onto it; a full model
 * where adapters are expected is refused by kind; a commitment string copied from another hotkey
 * fails the hotkey-bound hash; a base whose files do not match its pin fails the competition's turn.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { KeyringPair } from "@polkadot/keyring/types";
import {
  hashModelDir,
  keyFromUri,
  LocalChain,
  localModelFileSet,
  LocalModelStore,
  runStep,
  type Schedule,
  StepSkipped,
  ValidatorState,
} from "../../src/mod.ts";
import { publishModel } from "../../miner/mod.ts";
import { fitText, writeFaultAdapter, writeFaultyBase, writeQualityModel } from "../../fixtures/mod.ts";
import { startDatasetsServer } from "../standins/datasets_server.ts";
import { tinyCompetition } from "../helpers/competitions.ts";
import { tempDir } from "../helpers/temp.ts";
import { testValidatorContext } from "../helpers/validator_context.ts";

async function setup(o: { wrongHash?: boolean } = {}) {
  const root = await tempDir("sn9-adapters-");
  const datasets = await startDatasetsServer();
  const chain = LocalChain.open(join(root, "chain.sqlite"), {
    clock: { kind: "manual" },
    genesisHash: `0x${"7".padStart(64, "0")}`,
  });
  chain.createSubnet(1, { tempo: 20, weightsRateLimit: 2 });
  const validator = await keyFromUri("//validator");
  await chain.register(1, validator.address, validator);
  chain.addStake(validator.address, 1_000_000_000_000n);
  chain.advance(21);
  const store = new LocalModelStore(join(root, "store"));
  const text = await fitText();
  const baseDir = join(root, "base");
  await writeFaultyBase(baseDir, text);
  const revision = await store.upload({
    repo: "sn9/base",
    dir: baseDir,
    paths: await localModelFileSet(baseDir),
    private: false,
  });
  const { hash } = await hashModelDir(baseDir);
  const competition = tinyCompetition({
    id: 7,
    name: "lora",
    kind: "adapter",
    adapter: {
      base: { repo: "sn9/base", revision, hash: o.wrongHash ? "A".repeat(43) + "=" : hash },
      maxRank: 8,
      targetModules: ["c_attn", "c_proj", "c_fc"],
      dora: true,
    },
    sequenceLength: 128,
  });

  const schedule: Schedule = [{ startBlock: 0, competitions: [competition] }];
  const miners: Record<string, KeyringPair> = {};
  const publish = async (name: string, dir: string) => {
    miners[name] = await keyFromUri(`//${name}`);
    await chain.register(1, miners[name].address, miners[name]);
    return await publishModel({
      skipChecks: true,
      store,
      chain,
      netuid: 1,
      hotkey: miners[name],
      dir,
      repo: `${name}/m`,
      competition,
    });
  };
  await writeFaultAdapter(join(root, "fix"), "fixes");
  await writeFaultAdapter(join(root, "noop"), "nothing");
  await writeQualityModel("bigram", text, join(root, "full"));
  const fix = await publish("fixer", join(root, "fix"));
  await publish("idler", join(root, "noop"));
  await publish("fullmodel", join(root, "full"));
  // A copier commits the fixer's metadata string as it is, under its own hotkey.
  miners.copier = await keyFromUri("//copier");
  await chain.register(1, miners.copier.address, miners.copier);
  await chain.setCommitment(1, miners.copier, fix.metadata);
  chain.advance(3);
  const state = new ValidatorState(join(root, "v.sqlite"));
  const lines: string[] = [];
  const ctx = (log: (l: string) => void = (l) => lines.push(l)) =>
    testValidatorContext({ root, chain, store, datasetsUrl: datasets.url, schedule, hotkey: validator, state }, log);
  const uid = async (name: string) =>
    (await chain.metagraph(1)).neurons.find((n) => n.hotkey === miners[name].address)!.uid;
  const close = async () => {
    state.close();
    await chain.close();
    await datasets.close();
  };
  return { ctx, state, lines, uid, close, root };
}

Deno.test("adapter step: the base scored once, the fix paid, the no-op, a full model and a copied commitment not", async () => {
  const s = await setup();
  try {
    const summary = (await runStep(s.ctx()))!;
    const baseLines = s.lines.filter((l) => /^ {2}base sn9\/base@/.test(l));
    assert.equal(baseLines.length, 1, "the base is scored once per step");
    const step = s.state.steps().find((x) => x.id === summary.stepId)!;
    assert.ok(step.baseline && step.baseline.loss > 3, JSON.stringify(step.baseline));
    assert.ok(!s.lines.some((l) => / base .*: evaluating/.test(l)), "the base is not evaluated as a miner");
    const byUid = new Map(s.state.evals(summary.stepId).map((e) => [e.uid, e]));
    const fix = byUid.get(await s.uid("fixer"))!, idle = byUid.get(await s.uid("idler"))!;
    assert.equal(fix.weight, 1);
    assert.ok(fix.loss! < step.baseline!.loss - 0.1, `${fix.loss} vs the base's ${step.baseline!.loss}`);
    assert.equal(idle.weight, 0);
    assert.equal(idle.excluded, "no-improvement");
    assert.ok(Math.abs(idle.loss! - step.baseline!.loss) < 1e-6, "B = 0 scores as the base");
    const full = byUid.get(await s.uid("fullmodel"))!;
    assert.equal(full.status, "rejected");
    assert.match(
      full.reason!,
      /^files: fullmodel\/m@\w+: this competition takes PEFT adapters on sn9\/base; the revision holds a full model/,
    );
    const copier = byUid.get(await s.uid("copier"))!;
    assert.equal(copier.status, "rejected");
    assert.match(copier.reason!, /do not match the committed hash for/);
    const log = (await Deno.readTextFile(join(s.root, "run.jsonl"))).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(log.at(-1).baseline.loss, step.baseline!.loss);
    assert.equal(
      log.at(-1).models.find((m: { uid: number }) => m.uid === fix.uid).improvement,
      step.baseline!.loss - fix.loss!,
    );
  } finally {
    await s.close();
  }
});

Deno.test("adapter step interrupted after its first result: the resumed step keeps the base's result and scores only the rest", async () => {
  const s = await setup();
  try {
    class Interrupted extends Error {}
    let results = 0;
    await assert.rejects(
      () =>
        runStep(s.ctx((l) => {
          s.lines.push(l);
          if (/^ {2}uid \d+: (loss|rejected|failed)/.test(l) && ++results === 1) throw new Interrupted();
        })),
      Interrupted,
    );
    const running = s.state.runningStep()!;
    assert.ok(running.baseline, "the base's result was kept with the step when it began");
    s.lines.length = 0;
    const summary = (await runStep(s.ctx()))!;
    assert.equal(summary.stepId, running.id);
    assert.ok(s.lines.some((l) => /^ {2}base sn9\/base@\w+: loss \d+\.\d+ \(scored when the step began\)$/.test(l)));
    assert.deepEqual(s.state.steps().find((x) => x.id === running.id)!.baseline, running.baseline);
    assert.equal(s.lines.filter((l) => /: evaluating \(/.test(l)).length, 3, "only the three missing entries");
  } finally {
    await s.close();
  }
});

Deno.test("a base whose files do not match its pinned hash fails the competition's turn with the reason", async () => {
  const s = await setup({ wrongHash: true });
  try {
    await assert.rejects(() => runStep(s.ctx()), StepSkipped);
    const failed = s.state.steps().find((x) => x.status === "failed")!;
    assert.match(
      failed.reason!,
      /^the base model failed: base sn9\/base@\w+: .*the downloaded files hash to \S+, not the pinned A+=/,
    );
  } finally {
    await s.close();
  }
});
