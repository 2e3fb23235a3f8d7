/**
 * A full subnet over many steps, simulated with the validator's own budget rules (planQueue and
 * budgetAfterStep: the retry rule, the kept models, the step winner) and scoring (scoreCompetition and the
 * moving average), and a cost model in place of the models: an evaluation takes its load time
 * plus `2 · parameters · tokens / FLOP/s`. 255 miners commit over the horizon, newer models
 * better on average; each step's models run on `workers` workers, each job on the first free
 * one. The same commitments run under "evaluate everything" (every model past its delay, every
 * step) for comparison. One validator: the top-miner rule has no other validators to follow here.
 */
import type { Competition } from "../../src/competitions/mod.ts";
import { recordCompetitionWeights, scoreCompetition } from "../../src/scoring/mod.ts";
import {
  budgetAfterStep,
  type CompetitionWeights,
  type EvalBudget,
  type EvalHistoryEntry,
  planQueue,
  type QueueEntry,
  startQueue,
  type TrackedModel,
} from "../../src/mod.ts";

/** A model class of the simulated subnet: one competition each. */
export interface ModelClass {
  name: string;
  parameters: number;
  rewardShare: number;
  /** The typical loss of a first commitment. */
  baseLoss: number;
}

/** SN9's three sizes; reward shares and losses are the simulation's own. */
export const SN9_CLASSES: ModelClass[] = [
  { name: "700M", parameters: 0.7e9, rewardShare: 0.2, baseLoss: 3.0 },
  { name: "3B", parameters: 3e9, rewardShare: 0.3, baseLoss: 2.7 },
  { name: "14B", parameters: 14e9, rewardShare: 0.5, baseLoss: 2.4 },
];

/** The cost model and the subnet's shape. */
export interface SubnetSimOptions {
  rule: "budget" | "everything";
  workers: number;
  steps: number;
  budget: EvalBudget;
  classes: ModelClass[];
  /** Achieved forward FLOP/s of one worker. */
  flopsPerSecond: number;
  /** Tokens one evaluation scores. */
  evalTokens: number;
  /** Weights read from disk into a session, bytes/s (2 bytes a parameter). */
  loadBytesPerSecond: number;
  /** Blocks over which the miners commit. */
  horizonBlocks: number;
  evalBlockDelay: number;
  seed: number;
}

/** One simulated step. */
export interface SimStep {
  competition: string;
  block: number;
  models: number;
  seconds: number;
}

/** What a simulated run measured. */
export interface SimRun {
  steps: SimStep[];
  /** Seconds from each commitment's delay ending to its first evaluation's end. */
  latencies: number[];
  /** Miners whose latest commitment was past its delay when the run ended and was never evaluated. */
  neverEvaluated: number;
}

const BLOCK_SECONDS = 12;
const IDLE_SECONDS = 300;

interface SimCommit {
  uid: number;
  classIndex: number;
  block: number;
  loss: number;
}

/** Runs the simulation. */
export function simulateSubnet(o: SubnetSimOptions): SimRun {
  const random = mulberry32(o.seed);
  const commits = commitSchedule(o, random);
  const competitions = o.classes.map((c, i): Competition => ({
    id: i + 1,
    name: c.name,
    minParameters: 0,
    maxParameters: c.parameters,
    maxBytes: 0,
    sequenceLength: 4096,
    tokenizer: "gpt2",
    architectures: [],
    tasks: [],
    rewardShare: c.rewardShare,
    epsilon: { start: 0.005, end: 0.0001, decayBlocks: 50400 },
    evalBlockDelay: o.evalBlockDelay,
  }));
  const byId = new Map(competitions.map((c) => [c.id, c]));
  const jobSeconds = o.classes.map((c) =>
    (2 * c.parameters) / o.loadBytesPerSecond + (2 * c.parameters * o.evalTokens) / o.flopsPerSecond
  );
  // The run starts once the first commitments are past their delay.
  let seconds = o.evalBlockDelay * BLOCK_SECONDS;
  let queue: QueueEntry[] = [];
  let ema: CompetitionWeights = {};
  const history = new Map<string, EvalHistoryEntry[]>();
  const checked = new Map<string, number>();
  const evaluated = new Set<SimCommit>();
  const known = new Map<string, SimCommit>();
  const run: SimRun = { steps: [], latencies: [], neverEvaluated: 0 };
  for (let s = 0; s < o.steps; s++) {
    const block = Math.floor(seconds / BLOCK_SECONDS);
    const competition = competitions[s % competitions.length];
    // Each miner's latest commitment so far is its model.
    const latest = new Map<number, SimCommit>();
    for (const c of commits) if (c.block <= block) latest.set(c.uid, c);
    const models = new Map(
      [...latest.values()].map((c) => [hotkeyOf(c.uid), { commit: c, model: tracked(c, evaluated) }]),
    );
    // A new commitment is a new model: the budget forgets the old one (as syncModels does).
    for (const [hotkey, m] of models) {
      if (known.get(hotkey) === m.commit) continue;
      known.set(hotkey, m.commit);
      history.delete(hotkey);
      checked.delete(hotkey);
      queue = queue.filter((q) => q.hotkey !== hotkey);
    }
    let candidates: string[];
    if (o.rule === "everything") {
      candidates = [...models].filter(([, m]) =>
        m.model.competitionId === competition.id && m.commit.block + o.evalBlockDelay <= block
      ).map(([h]) => h);
    } else {
      const plan = planQueue({
        block,
        budget: o.budget,
        competitions: byId,
        models: [...models.values()].map((m) => ({
          model: m.model,
          history: history.get(m.model.hotkey) ?? [],
          checkedBlock: checked.get(m.model.hotkey) ?? null,
        })),
        queue,
      });
      for (const h of plan.checked) checked.set(h, block);
      queue = startQueue(plan.queue, competition.id);
      candidates = queue.filter((q) => q.competitionId === competition.id).map((q) => q.hotkey);
    }
    // Each job on the first free worker, in the step's order.
    const free = new Array(o.workers).fill(0);
    const results = candidates.map((hotkey) => {
      const m = models.get(hotkey)!;
      const w = free.indexOf(Math.min(...free));
      free[w] += jobSeconds[m.commit.classIndex];
      if (!evaluated.has(m.commit)) {
        evaluated.add(m.commit);
        run.latencies.push(seconds + free[w] - (m.commit.block + o.evalBlockDelay) * BLOCK_SECONDS);
      }
      // Every evaluation sees fresh pages: a little noise on the model's loss.
      return { uid: m.commit.uid, block: m.commit.block, loss: m.commit.loss + (random() - 0.5) * 2e-4, hotkey };
    });
    const stepSeconds = Math.max(0, ...free);
    // With nothing to evaluate the validator waits 5 minutes, as SN9's does.
    seconds += candidates.length === 0 ? IDLE_SECONDS : stepSeconds;
    run.steps.push({ competition: competition.name, block, models: candidates.length, seconds: stepSeconds });
    if (results.length === 0) continue;
    const outcomes = scoreCompetition(results, { decay: competition.epsilon, block });
    ema = recordCompetitionWeights(ema, competition.id, new Map(outcomes.map((x) => [x.uid, x.weight])));
    if (o.rule === "budget") {
      const after = budgetAfterStep({
        queue,
        competitionId: competition.id,
        block,
        results: outcomes.map((x) => ({ ...x, hotkey: hotkeyOf(x.uid) })),
        moving: ema[competition.id] ?? {},
        sampleMin: o.budget.sampleMin,
      });
      for (const h of after.history) {
        history.set(h.hotkey, [...(history.get(h.hotkey) ?? []), h.entry].slice(-o.budget.historyLength));
      }
      queue = after.queue;
    }
  }
  const end = Math.floor(seconds / BLOCK_SECONDS);
  const latest = new Map<number, SimCommit>();
  for (const c of commits) if (c.block <= end) latest.set(c.uid, c);
  run.neverEvaluated =
    [...latest.values()].filter((c) => c.block + o.evalBlockDelay <= end && !evaluated.has(c)).length;
  return run;
}

/** 255 miners (uids 1–255, uid 0 the validator), each committing 1 to 3 times over the horizon. */
function commitSchedule(o: SubnetSimOptions, random: () => number): SimCommit[] {
  const commits: SimCommit[] = [];
  for (let uid = 1; uid < 256; uid++) {
    const classIndex = uid % o.classes.length;
    const n = 1 + Math.floor(random() * 3);
    for (let k = 0; k < n; k++) {
      const block = Math.floor(random() * o.horizonBlocks);
      // Later models are better on average: up to 0.05 over the horizon, with a spread of 0.02.
      const loss = o.classes[classIndex].baseLoss - 0.05 * (block / o.horizonBlocks) + 0.02 * (random() - 0.5);
      commits.push({ uid, classIndex, block, loss });
    }
  }
  return commits.sort((a, b) => a.block - b.block || a.uid - b.uid);
}

function tracked(c: SimCommit, evaluated: Set<SimCommit>): TrackedModel {
  return {
    hotkey: hotkeyOf(c.uid),
    uid: c.uid,
    competitionId: c.classIndex + 1,
    repo: `miner${c.uid}/m`,
    revision: String(c.block),
    secureHash: "",
    commitBlock: c.block,
    status: evaluated.has(c) ? "ok" : "pending",
    reason: null,
    updatedBlock: c.block,
  };
}

function hotkeyOf(uid: number): string {
  return `miner-${uid}`;
}

/** A small seeded generator, so every run of the bench sees the same subnet. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
