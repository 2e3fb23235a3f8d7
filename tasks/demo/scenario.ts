/**
 * The demo as a function: the whole competition on this machine with nothing outside it, and a
 * structured account of what happened. The embedded chain (manual clock, fixed genesis), the
 * bundled pages, the local model store; a validator and miners registered; graded models, a
 * random one, a degenerate one, one over the parameter cap, one with a broken header, a tiny
 * Llama for competition 2; an adapter competition's pinned base with adapters that fix it, do
 * nothing and hurt it; and (after each competition's first step) a copy of the best entry committed later
 * from another hotkey; validator steps until weights are on chain and a Yuma epoch has paid.
 * `tasks/demo.ts` prints it; tests read it.
 */
import { join } from "node:path";
import { publishModel } from "../../miner/mod.ts";
import {
  averageStep,
  BUNDLED_SCHEDULES,
  type Competition,
  competitionAt,
  DatasetsServerClient,
  devKey,
  hashModelDir,
  improvementOverBase,
  JsonlRunLog,
  keyFromUri,
  loadSchedule,
  LocalChain,
  localModelFileSet,
  LocalModelStore,
  runStep,
  startDatasetsServer,
  ValidatorState,
} from "../../src/mod.ts";
import { copy } from "./copy_dir.ts";
import { writeDemoBase, writeDemoModels } from "./models.ts";

/** One row of a competition's final step. */
export interface DemoRow {
  uid: number;
  miner: string;
  loss: number | null;
  winRate: number | null;
  weight: number | null;
  status: string;
  reason: string | null;
  /** Why it earns what it earns. */
  explanation: string | null;
  /** In an adapter competition: the base's loss minus this one's. */
  improvement: number | null;
}

/** What the demo did and where it left its files. */
export interface DemoSummary {
  paths: { dir: string; chain: string; state: string; runLog: string; store: string; cache: string };
  netuid: number;
  published: { miner: string; uid: number; repo: string; commit: string; note: string }[];
  steps: { stepId: number; block: number; competitionId: number; weights: string }[];
  competitions: {
    id: number;
    name: string;
    stepId: number;
    block: number;
    /** In an adapter competition: the base's loss on the step's pages. */
    baseLoss: number | null;
    rows: DemoRow[];
  }[];
  rejected: { uid: number; miner: string; reason: string }[];
  onChain: { uid: number; miner: string; incentive: number; emission: bigint }[];
  /** A Yuma epoch paid the miners after weights were set. */
  paid: boolean;
  /** The adapter competition's last step merged into the next base (deno task average). */
  averaged: {
    competitionId: number;
    stepId: number;
    adapters: string[];
    baseLoss: number;
    mergedLoss: number;
    repo: string;
    commit: string;
    hash: string;
  } | null;
  phases: { name: string; seconds: number }[];
}

/** Options for `runDemo`. */
export interface DemoOptions {
  dir: string;
  /** The genesis hash's last hex digits (fixes the seed and so the pages; default 7). */
  genesis?: string;
  /** Receives the validator's and the demo's progress lines. */
  log?: (line: string) => void;
}

const NETUID = 1, TEMPO = 20;

/** Copiers: after a competition's first step, each re-uploads the best entry under its own hotkey. */
const COPIES = [
  { copier: "copycat", original: "bob", competitionId: 1, what: "model" },
  { copier: "mimic", original: "grace", competitionId: 3, what: "adapter" },
];

/** Uploads an adapter competition's base and checks it is exactly what the schedule pins. */
async function publishBase(c: Competition, store: LocalModelStore, root: string): Promise<void> {
  const pin = c.adapter!.base;
  const dir = join(root, "base");
  await writeDemoBase(dir);
  const commit = await store.upload(pin.repo, dir, await localModelFileSet(dir), { private: false, message: "base" });
  const { hash } = await hashModelDir(dir);
  if (commit !== pin.revision || hash !== pin.hash) {
    throw new Error(
      `the demo's base ${pin.repo}@${commit} (hash ${hash}) is not the one competition ${c.id} pins (${pin.revision}, ${pin.hash})`,
    );
  }
}

/** Runs the demo in `o.dir` (emptied first). */
export async function runDemo(o: DemoOptions): Promise<DemoSummary> {
  const log = o.log ?? (() => {});
  const phases: { name: string; seconds: number }[] = [];
  let mark = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    phases.push({ name, seconds: (now - mark) / 1000 });
    mark = now;
  };
  // The genesis hash fixes the seed, hence the pages, so every run tells the same story. (Bigram
  // models pass SN9's degenerate-output check only for some prompt pairs: their greedy
  // continuations fall into the same loop whatever the prompt; this genesis gives prompts under
  // which the graded models pass.)
  const genesis = `0x${(o.genesis ?? "7").padStart(64, "0")}`;
  const paths = {
    dir: o.dir,
    chain: join(o.dir, "chain.sqlite"),
    state: join(o.dir, "validator.sqlite"),
    runLog: join(o.dir, "run.jsonl"),
    store: join(o.dir, "store"),
    cache: join(o.dir, "cache"),
  };
  await Deno.remove(o.dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(o.dir, { recursive: true });
  const models = await writeDemoModels(join(o.dir, "models"));
  phase("fixtures");

  const datasets = await startDatasetsServer();
  const chain = LocalChain.open(paths.chain, { clock: { kind: "manual" }, genesisHash: genesis });
  const state = new ValidatorState(paths.state);
  try {
    chain.createSubnet(NETUID, { tempo: TEMPO, weightsRateLimit: 5, maxAllowedValidators: 4, activityCutoff: 5000 });
    const schedule = await loadSchedule(BUNDLED_SCHEDULES.local);
    const store = new LocalModelStore(paths.store);
    const validator = await devKey("Alice");
    const keys = new Map<string, Awaited<ReturnType<typeof devKey>>>();
    for (const m of [...models.map((m) => m.miner), ...COPIES.map((c) => c.copier)]) {
      keys.set(m, await keyFromUri(`//${m}`));
    }
    await chain.register(NETUID, validator.address, await devKey("Alice", "coldkey"));
    for (const [, k] of keys) await chain.register(NETUID, k.address, k);
    chain.addStake(validator.address, 1_000_000_000_000n);
    chain.advance(TEMPO + 1); // one epoch: the staked validator receives its permit
    phase("chain setup");

    // The adapter competition's base, published where the schedule pins it.
    for (const c of schedule[0].competitions) {
      if (c.kind === "adapter") await publishBase(c, store, join(o.dir, "models"));
    }
    const client = new DatasetsServerClient({ baseUrl: datasets.url });
    const checks = { datasets: client, cacheDir: paths.cache, entryStart: schedule[0].startBlock };
    const uidOf = async (address: string) =>
      (await chain.metagraph(NETUID)).neurons.find((n) => n.hotkey === address)!.uid;
    const published: DemoSummary["published"] = [];
    /** Publishes `dir` as `miner`'s entry and records it; `note` is told the commitment's block. */
    const publish = async (
      miner: string,
      dir: string,
      competition: Competition,
      note: (block: number) => string,
      skipChecks?: boolean,
    ) => {
      const hotkey = keys.get(miner)!;
      const p = await publishModel({
        store,
        chain,
        netuid: NETUID,
        hotkey,
        dir,
        repo: `${miner}/sn9-model`,
        competition,
        checks,
        skipChecks,
      });
      const entry = { miner, uid: await uidOf(hotkey.address), repo: p.repo, commit: p.commit, note: note(p.block) };
      published.push(entry);
      log(`published ${miner}: ${p.repo}@${p.commit.slice(0, 8)} (${entry.note})`);
    };
    const block0 = await chain.currentBlock();
    for (const m of models) {
      await publish(m.miner, m.dir, competitionAt(schedule, block0, m.competitionId)!, () => m.note, m.skipChecks);
    }
    chain.advance(3); // past the competitions' eval delay
    phase("miners publish");

    const ctx = {
      chain,
      store,
      datasets: client,
      schedule,
      netuid: NETUID,
      hotkey: validator,
      state,
      cacheDir: paths.cache,
      modelCacheDir: join(paths.cache, "hub"),
      device: "cpu" as const,
      setWeights: true,
      telemetry: new JsonlRunLog(paths.runLog),
      log,
      maxNewPerStep: 10,
    };
    const steps: DemoSummary["steps"] = [];
    const copied = new Set<number>();
    let paid = false;
    const rounds = 2 * schedule[0].competitions.length;
    // Each competition twice, a copier's later commitment scored in the second round; more only
    // if no epoch has paid the miners yet.
    for (let i = 0; i < rounds + 6 && (i < rounds || !paid); i++) {
      const summary = await runStep(ctx);
      if (summary) {
        steps.push({
          stepId: summary.stepId,
          block: summary.block,
          competitionId: summary.competition.id,
          weights: summary.weightsResult,
        });
      }
      const copier = COPIES.find((c) => c.competitionId === summary?.competition.id);
      if (summary && copier && !copied.has(copier.competitionId)) {
        // A copier re-uploads the best entry under its own name and commits it later.
        const original = models.find((m) => m.miner === copier.original)!;
        const dir = join(o.dir, "models", copier.copier);
        await copy(original.dir, dir);
        await publish(
          copier.copier,
          dir,
          summary.competition,
          (block) => `${copier.original}'s ${copier.what}, committed at block ${block}`,
        );
        copied.add(copier.competitionId);
      }
      chain.advance(TEMPO / 2);
      const last = state.lastWeightsSet();
      const epochs = chain.epochs(NETUID).filter((e) => e.block > (last?.block ?? Infinity));
      paid = last?.result === "set" &&
        epochs.some((e) => e.result.emission.some((x: number, uid: number) => uid !== 0 && x > 0));
    }
    phase("validator steps");

    // The averager: the adapter competition's paid adapters merged into the next base.
    const adapterCompetition = schedule[0].competitions.find((c) => c.kind === "adapter");
    let averaged: DemoSummary["averaged"] = null;
    if (adapterCompetition) {
      const r = await averageStep({
        state,
        schedule,
        store,
        datasets: client,
        competitionId: adapterCompetition.id,
        outDir: join(o.dir, "models", "averaged"),
        cacheDir: paths.cache,
        modelCacheDir: ctx.modelCacheDir,
        repo: "sn9/tiny-gpt2-next-base",
        log,
      });
      averaged = {
        competitionId: adapterCompetition.id,
        stepId: r.stepId,
        adapters: r.adapters.map((a) => `${a.repo} (share ${a.share.toFixed(2)})`),
        baseLoss: r.baseLoss,
        mergedLoss: r.mergedLoss,
        repo: "sn9/tiny-gpt2-next-base",
        commit: r.commit!,
        hash: r.hash,
      };
      log(`averaged step ${r.stepId}: loss ${r.mergedLoss.toFixed(4)} against the base's ${r.baseLoss.toFixed(4)}`);
    }
    phase("averager");

    const nameOf = new Map([...keys].map(([n, k]) => [k.address, n]));
    nameOf.set(validator.address, "validator");
    const competitions: DemoSummary["competitions"] = [];
    for (const c of schedule[0].competitions) {
      const last = [...steps].reverse().find((s) => s.competitionId === c.id);
      if (!last) continue;
      const baseLoss = state.steps().find((s) => s.id === last.stepId)?.baseline?.loss ?? null;
      const rows = state.evals(last.stepId).map((e) => ({
        uid: e.uid,
        miner: nameOf.get(e.hotkey) ?? "?",
        loss: e.loss,
        winRate: e.winRate ?? null,
        weight: e.weight ?? null,
        status: e.status,
        reason: e.reason,
        explanation: e.explanation ?? null,
        improvement: improvementOverBase(baseLoss, e.loss),
      })).sort((a, b) => (b.weight ?? 0) - (a.weight ?? 0) || (a.loss ?? Infinity) - (b.loss ?? Infinity));
      competitions.push({ id: c.id, name: c.name, stepId: last.stepId, block: last.block, baseLoss, rows });
    }
    const metagraph = await chain.metagraph(NETUID);
    phase("summary");
    return {
      paths,
      netuid: NETUID,
      published,
      steps,
      competitions,
      rejected: state.models().filter((m) => m.status === "rejected").map((m) => ({
        uid: m.uid,
        miner: nameOf.get(m.hotkey) ?? "?",
        reason: m.reason ?? "",
      })),
      onChain: metagraph.neurons.filter((n) => n.incentive > 0 || n.emission > 0n)
        .sort((a, b) => (b.emission > a.emission ? 1 : b.emission < a.emission ? -1 : 0))
        .map((n) => ({ uid: n.uid, miner: nameOf.get(n.hotkey) ?? "?", incentive: n.incentive, emission: n.emission })),
      paid,
      averaged,
      phases,
    };
  } finally {
    state.close();
    await chain.close();
    await datasets.close();
  }
}
