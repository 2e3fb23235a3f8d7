/**
 * The cost of an adapter step against a full-model step for the same base: the base is checked,
 * loaded and scored once; each adapter is checked and compiled onto it; a full-model step checks
 * (with the non-finite scan), loads and scores every model. All on the same sequences.
 */
import { checkAdapter, type CheckedAdapter } from "../adapters/mod.ts";
import { evaluateLosses } from "../evaluate.ts";
import { type CheckedModel, checkModel } from "../model.ts";
import { createLossSession } from "../session.ts";

/** One evaluation's time, split as a step sees it. */
export interface EvalTiming {
  /** Header checks and scan (and the adapter's checks). */
  checkMs: number;
  /** Compile and session build. */
  loadMs: number;
  computeMs: number;
}

/** What the adapter-step benchmark measured. */
export interface AdapterStepBench {
  base: EvalTiming;
  adapters: (EvalTiming & { label: string; parameters: number })[];
  fullModels: EvalTiming[];
  tokens: number;
}

/** Times the base once, each adapter on it, and as many full-model evaluations as adapters. */
export async function benchAdapterStep(
  baseDir: string,
  adapterDirs: readonly string[],
  sequences: number[][],
  o: { threads?: number; batchSize?: number } = {},
): Promise<AdapterStepBench> {
  const T = sequences[0].length;
  /** Checks (timed), loads and scores one entry; returns its timing and the checked model. */
  const run = async (
    check: () => Promise<{ model: CheckedModel; adapter?: CheckedAdapter }>,
  ): Promise<{ timing: EvalTiming; model: CheckedModel; adapter?: CheckedAdapter }> => {
    let t = performance.now();
    const { model, adapter } = await check();
    const checkMs = performance.now() - t;
    t = performance.now();
    const session = await createLossSession(model, { maxSequenceLength: T, threads: o.threads, adapter });
    const loadMs = performance.now() - t;
    t = performance.now();
    try {
      await evaluateLosses(session, sequences, { batchSize: o.batchSize ?? 1 });
    } finally {
      await session.release();
    }
    return { timing: { checkMs, loadMs, computeMs: performance.now() - t }, model, adapter };
  };
  // The base once: its checked files are what every adapter is compiled onto.
  const { timing: baseTiming, model: base } = await run(async () => ({ model: await checkModel(baseDir) }));
  const adapters = [];
  for (const dir of adapterDirs) {
    const { timing, adapter } = await run(async () => ({ model: base, adapter: await checkAdapter(dir, base) }));
    adapters.push({ ...timing, label: adapter!.label, parameters: adapter!.parameterCount });
  }
  const fullModels = [];
  for (let i = 0; i < adapterDirs.length; i++) {
    fullModels.push((await run(async () => ({ model: await checkModel(baseDir) }))).timing);
  }
  return { base: baseTiming, adapters, fullModels, tokens: sequences.length * T };
}
