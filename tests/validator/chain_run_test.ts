/**
 * Issue 12's acceptance, end to end: `deno task validate --once` as real processes against the
 * spec-218 subtensor runtime under chopsticks, with commit-reveal v2 on, over seven epochs. One
 * run is killed with SIGKILL mid-evaluation and restarted; one reveal window is missed on purpose
 * (no validator runs through it). Every commit is revealed in its reveal epoch except the missed
 * one, which is replaced by a new commit; the chain never refuses a reveal; and the weights the
 * chain holds after each reveal are the ones the validator committed.
 *
 * Chain rules as subtensor spec 218 has them (pallets/subtensor/src/subnets/weights.rs:
 * do_commit_weights, do_reveal_weights, get_reveal_blocks; epoch = (block + netuid + 1) / (tempo + 1)).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { publishModel } from "../../miner/mod.ts";
import { fitText, writeQualityModel } from "../../fixtures/mod.ts";
import {
  BUNDLED_SCHEDULES,
  competitionAt,
  epochIndex,
  firstBlockOfEpoch,
  loadSchedule,
  LocalModelStore,
  ValidatorState,
} from "../../src/mod.ts";
import { connect, newSubnet, onRuntime, startNode } from "../chain/chopsticks.ts";
import { tempDir } from "../helpers/temp.ts";
import { timeLimit } from "../helpers/time_limit.ts";
import { runScript, type ScriptRun } from "../helpers/process.ts";

const TEMPO = 10;

onRuntime("validator processes on subtensor spec 218", () => {
  Deno.test("validator processes on subtensor spec 218: seven epochs of commit-reveal with a kill -9 and a missed window", async () => {
    timeLimit(1_200_000); // eight validator processes on a real runtime: minutes on a loaded 2-core machine
    const node = await startNode();
    const dir = await tempDir("sn9-chain-run-");
    try {
      const s = await newSubnet(node, {
        miners: 3,
        tempo: TEMPO,
        weightsRateLimit: 2,
        weightsVersionKey: 0,
        maxAllowedValidators: 1,
      });
      await node.setStorage({ SubtensorModule: { CommitRevealWeightsEnabled: [[[s.netuid], true]] } });

      // Three miners publish bigram models of different quality into a local store.
      const chain = await connect(node);
      const local = await loadSchedule(BUNDLED_SCHEDULES.local);
      const competition = { ...competitionAt(local, 0, 1)!, rewardShare: 1 };
      const schedule = join(dir, "schedule.json");
      await Deno.writeTextFile(schedule, JSON.stringify([{ startBlock: 0, competitions: [competition] }]));
      const store = new LocalModelStore(join(dir, "store"));
      const text = await fitText();
      for (const [i, miner] of s.miners.entries()) {
        const model = join(dir, `m${i}`);
        await writeQualityModel("bigram", text, model, { smoothing: 1 + 20 * i });
        await publishModel({
          store,
          chain,
          netuid: s.netuid,
          hotkey: miner,
          dir: model,
          repo: `miner${i}/m`,
          competition,
          skipChecks: true,
        });
      }

      const state = join(dir, "validator.sqlite");
      const validate = (killAt?: RegExp): Promise<ScriptRun> =>
        runScript(
          [
            "tasks/validate.ts",
            "--once",
            "--network",
            node.endpoint,
            "--netuid",
            String(s.netuid),
            "--model-store",
            "local",
            "--store-dir",
            join(dir, "store"),
            "--datasets-server",
            "bundled",
            "--schedule",
            schedule,
            "--state",
            state,
            "--run-log",
            join(dir, "run.jsonl"),
            "--cache-dir",
            join(dir, "cache"),
            "--wandb.off", // the run log suffices; a parallel test may set WANDB_* in this process
          ],
          { env: { SN9_HOTKEY_URI: s.validatorUri }, killAt },
        );
      const epochNow = async () => epochIndex(await chain.currentBlock(), s.netuid, TEMPO);
      const toEpoch = async (epoch: number) => {
        const target = firstBlockOfEpoch(epoch, s.netuid, TEMPO) + 1;
        const now = await chain.currentBlock();
        if (target > now) await node.newBlocks(target - now);
        assert.equal(await epochNow(), epoch);
      };
      const onChainWeights = async () => {
        const w = await (node.api.query.subtensorModule as any).weights(s.netuid, 0);
        return (w.toJSON() as [number, number][]).map(([uid, v]) => [uid, v]);
      };
      const history = () => {
        const v = new ValidatorState(state, { readOnly: true });
        try {
          return v.weightsHistory(100).reverse();
        } finally {
          v.close();
        }
      };

      const start = (await epochNow()) + 1;
      const log: { epoch: number; result: string }[] = [];
      const note = (epoch: number, r: ScriptRun) => {
        assert.equal(r.code, 0, r.lines.slice(-20).join("\n"));
        const line = r.lines.find((l) => / weights /.test(l) && /step \d+ done/.test(l)) ?? "";
        log.push({ epoch, result: line.replace(/^.*?, weights /, "") });
      };
      const revealedMatchChain = async () => {
        const revealed = history().filter((h) => h.result === "revealed").at(-1)!;
        assert.deepEqual(await onChainWeights(), revealed.uids.map((u, i) => [u, revealed.weights[i]]));
      };

      // Epoch start: the first commit.
      await toEpoch(start);
      note(start, await validate());
      assert.match(log[0].result, /^committed at block \d+, reveal in epoch \d+$/);

      // start+1: reveal, commit again.
      await toEpoch(start + 1);
      note(start + 1, await validate());
      assert.match(log[1].result, /^revealed at block \d+ the weights committed at block \d+; committed at block/);
      await revealedMatchChain();

      // start+2: killed mid-evaluation, restarted in the same epoch: the step resumes, the reveal happens.
      await toEpoch(start + 2);
      const killed = await validate(/: evaluating \(/);
      assert.ok(killed.killed, "the first run of this epoch was killed mid-evaluation");
      const resumed = await validate();
      assert.ok(resumed.lines.some((l) => /resuming step \d+/.test(l)), "the interrupted step resumed");
      note(start + 2, resumed);
      assert.match(log[2].result, /^revealed at block \d+ .*; committed at block/);
      await revealedMatchChain();

      // start+3: nobody runs; the commit made in start+2 misses its window.
      await toEpoch(start + 4);
      note(start + 4, await validate());
      assert.match(
        log[3].result,
        /^missed the reveal window of the commit from block \d+ \(epoch \d+, now \d+\): committing again; committed at block/,
      );
      const commits = await chain.weightCommits(s.netuid, s.validator.address);
      assert.equal(commits.length, 1, "the expired commit is replaced on chain by the new one");

      // start+5, start+6: reveals resume.
      for (const e of [start + 5, start + 6]) {
        await toEpoch(e);
        note(e, await validate());
        assert.match(log.at(-1)!.result, /^revealed at block \d+/);
        await revealedMatchChain();
      }

      // The record: every commit revealed except the expired one, never a refusal.
      const results = history().map((h) => h.result.split(":")[0]);
      assert.deepEqual(results, [
        "committed",
        "revealed",
        "committed",
        "revealed",
        "committed",
        "expired",
        "committed",
        "revealed",
        "committed",
        "revealed",
        "committed",
      ]);
      assert.ok(history().every((h) => !h.result.startsWith("failed")), "no reveal or commit was refused");
      console.log(log.map((l) => `epoch ${l.epoch}: ${l.result}`).join("\n"));
      await chain.close();
    } finally {
      await node.close();
    }
  });
});
