/**
 * `deno task average`: the top adapters of a finished adapter-competition step merged into a full
 * model, by the validator's weights. The step's pages are rebuilt from its seed and checked
 * against its manifest; the base is fetched and checked against its pin; each adapter is fetched
 * and checked against its commitment's hash as in the step; the merge (merge_adapters.ts) is
 * scored on those pages and kept only if its loss is no worse than the base's in that step. It is
 * written with a manifest of what went in, and pushed to the model store when a repo is given, so
 * a later schedule entry can pin it (repo, revision, hash) as the next base.
 */
import { join } from "node:path";
import { checkAdapter, checkModel, type Device, formatReason } from "../../eval/mod.ts";
import { competitionAt, type Schedule } from "../competitions/mod.ts";
import { type DatasetsServerClient, prepareCompetitionPages, seedFromHex } from "../data/mod.ts";
import { fetchModel, type ModelStore } from "../hub/mod.ts";
import { hashModelDir, localModelFileSet } from "../metadata/mod.ts";
import {
  adapterLimits,
  competitionLimits,
  type EvalSettings,
  prepareStepBase,
  scoreModel,
  submissionLimits,
  type ValidatorState,
} from "../validator/mod.ts";
import { writeMergedModel } from "./merge_adapters.ts";

/** The manifest written beside the merged model (not part of its hashed file set). */
export const MERGE_MANIFEST = "merge_manifest.json";

/** What to merge and where. */
export interface AverageOptions {
  state: ValidatorState;
  schedule: Schedule;
  store: ModelStore;
  datasets: DatasetsServerClient;
  competitionId: number;
  /** Default: the competition's latest finished step. */
  stepId?: number;
  /** How many of the best-paid adapters go in (default 3). */
  top?: number;
  /** Where the merged model is written (must not exist, or be empty). */
  outDir: string;
  /** Tokenizers and small files. */
  cacheDir: string;
  /** The Hugging Face-layout cache the base and the adapters are downloaded into. */
  modelCacheDir: string;
  resolveTokenizer?: (repo: string) => Promise<string>;
  /** Push the merge to this repo of the store. */
  repo?: string;
  device?: Device;
  batchSize?: number;
  log?: (line: string) => void;
}

/** What the merge is and how it did. */
export interface AverageResult {
  stepId: number;
  block: number;
  dir: string;
  /** The merged model's hash (pin it with the revision). */
  hash: string;
  adapters: { uid: number; hotkey: string; repo: string; revision: string; weight: number; share: number }[];
  baseLoss: number;
  mergedLoss: number;
  /** The store commit, when pushed. */
  commit: string | null;
}

/** Merges, checks and (with `o.repo`) pushes; throws naming what stopped it. */
export async function averageStep(o: AverageOptions): Promise<AverageResult> {
  const log = o.log ?? (() => {});
  const step = o.state.steps(100_000).find((s) =>
    s.competitionId === o.competitionId && s.status === "done" && (o.stepId === undefined || s.id === o.stepId)
  );
  if (!step) {
    throw new RangeError(
      o.stepId === undefined
        ? `competition ${o.competitionId} has no finished step in this state`
        : `step ${o.stepId} is not a finished step of competition ${o.competitionId}`,
    );
  }
  const competition = competitionAt(o.schedule, step.block, o.competitionId);
  if (!competition || competition.kind !== "adapter" || !step.baseline) {
    throw new RangeError(`competition ${o.competitionId} at block ${step.block} is not an adapter competition`);
  }
  const chosen = o.state.evals(step.id).filter((e) => e.status === "ok" && (e.weight ?? 0) > 0)
    .sort((a, b) => b.weight! - a.weight! || a.uid - b.uid).slice(0, o.top ?? 3);
  if (chosen.length === 0) throw new RangeError(`no adapter earned weight in step ${step.id}: nothing to merge`);
  await checkEmpty(o.outDir);

  // The step's pages, rebuilt from its seed and checked against what the step recorded.
  const { tokenizer, tasks, manifest } = await prepareCompetitionPages(competition, {
    client: o.datasets,
    seed: seedFromHex(step.seed),
    cacheDir: o.cacheDir,
    resolveTokenizer: o.resolveTokenizer,
  });
  const recorded = (step.manifest as { tasks?: { taskId: string; streamSha256: string }[] } | null)?.tasks ?? [];
  for (const t of manifest.tasks) {
    const then = recorded.find((r) => r.taskId === t.taskId);
    if (then?.streamSha256 !== t.streamSha256) {
      throw new RangeError(
        `task ${t.taskId}: the pages rebuilt from step ${step.id}'s seed differ from what the step recorded`,
      );
    }
  }

  const settings: EvalSettings = {
    store: o.store,
    cacheDir: o.modelCacheDir,
    device: o.device ?? "cpu",
    batchSize: o.batchSize ?? 4,
    timeCapMs: 24 * 3600_000,
    eosTokenId: tokenizer.eosTokenId,
    log,
  };
  const base = await prepareStepBase({ competition, tasks }, settings, step.baseline);
  const total = chosen.reduce((s, e) => s + e.weight!, 0);
  const weighted = [];
  for (const e of chosen) {
    const committed = o.state.models().find((m) => m.hotkey === e.hotkey && m.revision === e.revision);
    const fetched = await fetchModel(o.store, e.repo, e.revision, {
      cacheDir: o.modelCacheDir,
      limits: submissionLimits(competition),
      adapter: { base: base.model, limits: adapterLimits(competition) },
      expect: committed ? { secureHash: committed.secureHash, hotkey: committed.hotkey } : undefined,
    });
    const adapter = await checkAdapter(fetched.dir, base.model, { limits: adapterLimits(competition), label: e.repo });
    weighted.push({ adapter, weight: e.weight! });
    log(`uid ${e.uid} ${e.repo}@${e.revision.slice(0, 8)}: share ${(e.weight! / total).toFixed(4)}`);
  }

  await writeMergedModel(base.model, weighted, o.outDir);
  const merged = await checkModel(o.outDir, { limits: competitionLimits(competition), label: "merged model" });
  const score = await scoreModel(o.outDir, { competition, tasks }, settings, { checked: merged });
  if (score.status !== "ok") throw new RangeError(`the merged model does not score: ${score.reason}`);
  const mergedLoss = score.loss!, baseLoss = step.baseline.loss;
  if (mergedLoss > baseLoss) {
    throw new RangeError(
      `the merged model's loss ${mergedLoss.toFixed(6)} is worse than the base's ${
        baseLoss.toFixed(6)
      } on step ${step.id}'s pages; not kept`,
    );
  }
  const { hash } = await hashModelDir(o.outDir);
  const result: AverageResult = {
    stepId: step.id,
    block: step.block,
    dir: o.outDir,
    hash,
    adapters: chosen.map((e) => ({
      uid: e.uid,
      hotkey: e.hotkey,
      repo: e.repo,
      revision: e.revision,
      weight: e.weight!,
      share: e.weight! / total,
    })),
    baseLoss,
    mergedLoss,
    commit: null,
  };
  await Deno.writeTextFile(
    join(o.outDir, MERGE_MANIFEST),
    JSON.stringify(
      {
        base: competition.adapter.base,
        competition: competition.id,
        step: { id: step.id, block: step.block, seed: step.seed, pages: manifest.tasks },
        adapters: result.adapters,
        baseLoss,
        mergedLoss,
        hash,
      },
      null,
      2,
    ),
  );
  if (o.repo) {
    const files = [...await localModelFileSet(o.outDir), MERGE_MANIFEST];
    result.commit = await o.store.upload({
      repo: o.repo,
      dir: o.outDir,
      paths: files,
      message: formatReason(
        `average of ${chosen.length} adapters from step ${step.id} of competition ${competition.id}`,
      ),
    });
  }
  return result;
}

async function checkEmpty(dir: string): Promise<void> {
  try {
    for await (const _ of Deno.readDir(dir)) {
      throw new RangeError(`${dir} is not empty; give a new directory for the merge`);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}
