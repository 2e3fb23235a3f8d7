/**
 * A validator state written directly, without running the demo: eight weeks of steps for two
 * competitions with a leader, a newcomer who overtakes it, a copy of the leader committed later,
 * a spoiler, models rejected with hostile reasons, commitments that are malformed or for a
 * competition not in force (one carrying markup and terminal escapes), a failed turn, an adapter
 * competition's step (its base's loss, an adapter that beats it, one that matches it, one worse), and
 * the latest step: two windows of a pseudo-gradient competition (peers scored and slashed, the global
 * model's held-out loss falling). Model competitions' scores and explanations come from the scoring
 * rules themselves; the page test checks what is shown.
 */
import { join } from "node:path";
import { explainOutcomes, scoreCompetition, type StepBaseline, ValidatorState } from "../../src/mod.ts";
import { paidNeuron } from "../helpers/neuron.ts";
import { tempDir } from "../helpers/temp.ts";

const EPSILON = { start: 0.005, end: 0.0001, decayBlocks: 50400 };

interface Miner {
  uid: number;
  repo: string;
  commitBlock: number;
  competitionId: number;
  /** Loss at each step (null: rejected with `reason`). */
  loss: (step: number) => number | null;
  reason?: string;
}

const MINERS: Miner[] = [
  { uid: 1, repo: "alice/sn9-gpt2-large", commitBlock: 100, competitionId: 1, loss: (s) => 3.21 - 0.001 * s },
  {
    uid: 2,
    repo: "bob/falcon-pretrain-v7",
    commitBlock: 2000,
    competitionId: 1,
    loss: (s) => (s < 3 ? 3.35 : 3.18 - 0.001 * s),
  },
  { uid: 3, repo: "carol/copy-of-alice", commitBlock: 3000, competitionId: 1, loss: (s) => 3.21 - 0.001 * s },
  { uid: 4, repo: "dave/tiny-llama-ft", commitBlock: 500, competitionId: 1, loss: () => 3.62 },
  {
    uid: 5,
    repo: "erin/7b-shrunk",
    commitBlock: 800,
    competitionId: 1,
    loss: () => null,
    reason: "limits: erin/7b-shrunk@4be1: 7241748480 parameters exceeds the maximum 772000000",
  },
  {
    uid: 6,
    repo: "mallory/evil-names",
    commitBlock: 900,
    competitionId: 1,
    loss: () => null,
    reason: "safetensors: unknown tensor \x1b[2J<b>model OK</b>\r in model.safetensors",
  },
  { uid: 7, repo: "frank/mistral-mini", commitBlock: 1200, competitionId: 2, loss: (s) => 2.9 - 0.002 * s },
  { uid: 8, repo: "grace/llama3-edu", commitBlock: 1500, competitionId: 2, loss: (s) => 2.95 - 0.003 * s },
  // Competition 3 takes adapters on a base whose loss on the step's pages is BASE_LOSS.
  { uid: 9, repo: "ivy/lora-fix", commitBlock: 2500, competitionId: 3, loss: () => 3.3 },
  { uid: 10, repo: "judy/lora-untrained", commitBlock: 2600, competitionId: 3, loss: () => BASE_LOSS },
  { uid: 11, repo: "ken/lora-overfit", commitBlock: 2700, competitionId: 3, loss: () => 3.7 },
];
const BASE_LOSS = 3.52;

/** Writes the state and returns its path. */
export async function writeSyntheticState(): Promise<string> {
  const path = join(await tempDir("sn9-board-"), "validator.sqlite");
  const state = new ValidatorState(path);
  const hotkey = (uid: number) => `5Synthetic${String(uid).padStart(38, "0")}`;
  const revision = (uid: number) => uid.toString(16).padStart(2, "0").repeat(20);
  try {
    for (const m of MINERS) {
      state.upsertModel({
        hotkey: hotkey(m.uid),
        uid: m.uid,
        competitionId: m.competitionId,
        repo: m.repo,
        revision: revision(m.uid),
        secureHash: "s".repeat(44),
        commitBlock: m.commitBlock,
        status: m.reason ? "rejected" : "ok",
        reason: m.reason ?? null,
        updatedBlock: 4000,
      });
    }
    state.upsertModel({
      hotkey: hotkey(20),
      uid: 20,
      competitionId: -1,
      repo: "",
      revision: "",
      secureHash: "",
      commitBlock: 3100,
      status: "ignored",
      reason: "malformed commitment (format): expected namespace:name:commit:hash:competition, got 2 fields",
      updatedBlock: 4000,
      commitment: "<script>window.__injected = 1</script>:\x1b[31mred",
    });
    state.upsertModel({
      hotkey: hotkey(21),
      uid: 21,
      competitionId: 9,
      repo: "heidi/future-model",
      revision: revision(21),
      secureHash: "s".repeat(44),
      commitBlock: 3200,
      status: "ignored",
      reason: "competition 9 is not in force at block 4000",
      updatedBlock: 4000,
      commitment: `heidi:future-model:${revision(21)}:${"s".repeat(44)}:9`,
    });
    /**
     * One finished step: each miner's result, then the scores and explanations from the scoring
     * rules themselves (against `base` in an adapter competition).
     */
    const writeStep = (
      o: {
        block: number;
        competitionId: number;
        miners: Miner[];
        step: number;
        task: { taskId: string; hfDataset: string; offset: number };
        startedMs: number;
        baseline?: StepBaseline;
      },
    ) => {
      const manifest = {
        seed: o.step.toString(16).padStart(64, "a"),
        tasks: [{
          taskId: o.task.taskId,
          hfDataset: o.task.hfDataset,
          pages: [{ config: "default", offset: o.task.offset, length: 100 }],
          documents: 100,
          tokens: 51_200,
          streamSha256: "ef".repeat(32),
        }],
      };
      const stepId = state.startStep(o.block, o.competitionId, manifest.seed, manifest, o.startedMs, o.baseline);
      for (const m of o.miners) {
        const loss = m.loss(o.step);
        state.recordEval({
          stepId,
          hotkey: hotkey(m.uid),
          uid: m.uid,
          competitionId: o.competitionId,
          repo: m.repo,
          revision: revision(m.uid),
          commitBlock: m.commitBlock,
          loss,
          taskLosses: loss === null ? {} : { [o.task.taskId]: loss },
          status: loss === null ? "rejected" : "ok",
          reason: m.reason ?? null,
          loadMs: 900,
          computeMs: 21_000,
        });
      }
      const base = o.baseline && { loss: o.baseline.loss, block: 0 };
      const outcomes = scoreCompetition(
        o.miners.map((m) => ({ uid: m.uid, block: m.commitBlock, loss: m.loss(o.step) ?? Infinity })),
        { decay: EPSILON, block: o.block, baseline: base },
      );
      const why = explainOutcomes(outcomes, { decay: EPSILON, block: o.block, baseline: base });
      state.finishStep(
        stepId,
        outcomes.map((x) => ({
          hotkey: hotkey(x.uid),
          winRate: x.winRate,
          wins: x.wins,
          epsilon: x.epsilon,
          weight: x.weight,
          excluded: x.excluded ?? null,
          explanation: why.get(x.uid)!,
        })),
        {},
        o.startedMs + 50_000,
      );
    };
    for (let s = 0; s < 12; s++) {
      const competitionId = s % 2 === 0 ? 1 : 2;
      const block = 3050 + s * 100;
      writeStep({
        block,
        competitionId,
        miners: MINERS.filter((m) => m.competitionId === competitionId && m.commitBlock < block - 25),
        step: s,
        task: competitionId === 1
          ? { taskId: "falcon", hfDataset: "tiiuae/falcon-refinedweb", offset: 1000 * s }
          : { taskId: "fineweb-edu", hfDataset: "HuggingFaceFW/fineweb-edu-score-2", offset: 1000 * s },
        startedMs: 1_700_000_000_000 + s * 60_000,
      });
    }
    // One step of the adapter competition: the base scored on its pages, three adapters against it.
    writeStep({
      block: 4400,
      competitionId: 3,
      miners: MINERS.filter((m) => m.competitionId === 3),
      step: 12,
      task: { taskId: "falcon", hfDataset: "tiiuae/falcon-refinedweb", offset: 4242 },
      startedMs: 1_700_002_000_000,
      baseline: {
        repo: "sn9/tiny-gpt2-base",
        revision: "86".repeat(20),
        loss: BASE_LOSS,
        taskLosses: { falcon: BASE_LOSS },
        loadMs: 800,
        computeMs: 9000,
      },
    });
    // Two windows of the pseudo-gradient competition, the latest steps: rows as the window turn writes them.
    const held = [3.9, 3.71, 3.55];
    for (const w of [0, 1]) {
      const block = 4505 + 20 * w;
      const manifest = {
        window: w,
        startBlock: block - 25,
        deadlineBlock: block,
        startBlockHash: `0x${"1a".repeat(32)}`,
        deadlineBlockHash: `0x${"2b".repeat(32)}`,
        ownSequences: { 12: 6, 13: 6, 14: 6 },
        randomSequences: 8,
        heldOutSequences: 32,
        globalHash: `G${w}${"g".repeat(41)}=`,
        nextHash: `G${w + 1}${"g".repeat(41)}=`,
        codec: { chunk: 64, topk: 4, bins: 16, range: 6 },
      };
      const stepId = state.startStep(block, 4, "2b".repeat(32), manifest, 1_700_003_000_000 + w * 60_000);
      const peers = [
        {
          uid: 12,
          repo: "pat/pseudograd",
          own: [3.41, 3.38],
          weight: 0.7,
          why: "g 7.084e-3, b +1, B 0.1262, μ 29.084, σ 8.020, ordinal 5.025, final 0.6342, clip 0.9132: weight 0.7000",
        },
        {
          uid: 13,
          repo: "gus/pseudograd",
          own: [3.16, 3.2],
          weight: 0.3,
          why:
            "g -1.365e-2, b −1, B -0.0312, μ 13.043, σ 7.800, ordinal -10.358, final 0.0000, clip 0.9736: weight 0.3000",
        },
        {
          uid: 14,
          repo: "cory/pseudograd",
          own: null,
          weight: 0,
          reason: "copy: 100.0% of its positions are uid 12's (mega)",
        },
      ];
      for (const p of peers) {
        state.recordEval({
          stepId,
          hotkey: hotkey(p.uid),
          uid: p.uid,
          competitionId: 4,
          repo: p.repo,
          revision: revision(p.uid),
          commitBlock: block - 3,
          loss: p.own?.[1] ?? null,
          taskLosses: p.own ? { own_before: p.own[0], own_after: p.own[1], random_after: 3.19 } : {},
          status: p.own ? "ok" : "rejected",
          reason: p.reason ?? null,
          loadMs: null,
          computeMs: null,
        });
      }
      state.finishStep(
        stepId,
        peers.map((p) => ({
          hotkey: hotkey(p.uid),
          winRate: 0,
          wins: 0,
          epsilon: 0,
          weight: p.weight,
          excluded: p.own ? null : "copy",
          explanation: p.why ?? "",
        })),
        {},
        1_700_003_000_000 + w * 60_000 + 5_000,
        () =>
          state.windows.record({
            competitionId: 4,
            window: w,
            stepId,
            globalHash: manifest.globalHash,
            nextDir: null,
            nextHash: manifest.nextHash,
            heldOutBefore: held[w],
            heldOutAfter: held[w + 1],
          }, new Map()),
      );
    }
    // The last epoch, as the validator read it: uid 2 (the winner of competition 1) and uid 9 (the
    // adapter that helps) paid; uid 1 re-registered under another hotkey, so its row shows nothing.
    state.recordOnChain({
      netuid: 1,
      block: 4310,
      neurons: [
        paidNeuron(0, "5Validator", 0, 0n),
        paidNeuron(1, "5SomeoneElse", 0.05, 20_500_000n),
        paidNeuron(2, hotkey(2), 0.6, 246_000_000n),
        paidNeuron(9, hotkey(9), 0.35, 143_500_000n),
      ],
    });
    state.failStep({
      block: 4300,
      competitionId: 2,
      seed: "f".repeat(64),
      reason:
        "data preparation failed: datasets-server 501 DatasetWithTooBigExternalFilesError for HuggingFaceFW/fineweb-edu-score-2",
      nowMs: 1_700_001_000_000,
    });
  } finally {
    state.close();
  }
  return path;
}
