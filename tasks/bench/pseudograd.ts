/**
 * `bench --pseudograd N`: what one evaluated peer of a pseudo-gradient window costs on a bench
 * model, as evaluateWindow measures it (docs/pseudograd.md, "A window, end to end"), both ways of
 * applying the peer's θ' = θ − 0.2·decode(Δ): a float32 copy written, checked and compiled into a
 * session of its own ("copy"), and positions and values that one session of the global model,
 * compiled once per window, replaces on each run ("graph"). Each against one plain evaluation of
 * the same tokens on a session compiled once. Every peer's file is read and checked as a validator
 * reads it.
 */
import { join } from "node:path";
import { checkModel, createLossSession, evaluateLosses } from "../../eval/mod.ts";
import { ensureBenchModel } from "../../fixtures/bench_models.ts";
import { Rng } from "../../fixtures/random.ts";
import {
  compressParameter,
  encodeSubmission,
  layoutOf,
  openReplacingSession,
  peerReplacements,
  readParameters,
  readSubmission,
  TEMPLAR_CODEC,
  writePeerModel,
} from "../../src/mod.ts";

/** The run's shape. */
export interface PseudogradBenchOptions {
  cache: string;
  seq: number;
  batch: number;
  /** Sequences on each side (own, random): Templar evaluates 8 of each. */
  reps: number;
  threads?: number;
  json: boolean;
}

/** Times `peers` evaluated peers on bench model `name` against a plain evaluation of the same tokens. */
export async function benchPseudograd(name: string, peers: number, o: PseudogradBenchOptions): Promise<void> {
  const dir = await ensureBenchModel(name, o.cache);
  const base = await checkModel(dir);
  const layout = layoutOf(base, TEMPLAR_CODEC);
  const vocab = base.spec.vocabSize;
  const sequences = Array.from(
    { length: 2 * o.reps },
    (_, s) => Array.from({ length: o.seq }, (_, i) => (i * 7919 + s * 104729) % vocab),
  );
  const tokens = sequences.length * o.seq;
  const seconds = (t0: number) => (performance.now() - t0) / 1000;
  const timed = async <T>(f: () => T | Promise<T>): Promise<[T, number]> => {
    const t0 = performance.now();
    const value = await f();
    return [value, seconds(t0)];
  };
  const options = { maxSequenceLength: o.seq, compute: "float32" as const, threads: o.threads };

  let t = performance.now();
  const rng = new Rng(7);
  const wire = new Map(layout.parameters.map((p) => {
    const n = p.geometry.shape.reduce((a, b) => a * b, 1);
    return [p.name, compressParameter(rng.normals(n, 1e-3), p.geometry.shape, TEMPLAR_CODEC)];
  }));
  const bytes = encodeSubmission(layout, wire, { window: 0, base: "A".repeat(43) + "=", codec: TEMPLAR_CODEC });
  const encodeS = seconds(t);
  console.log(
    `${name}: ${base.parameterCount} parameters; a submission of ${bytes.length} bytes encoded in ${
      encodeS.toFixed(1)
    } s`,
  );

  t = performance.now();
  const session = await createLossSession(base, options);
  const plainLoad = seconds(t);
  t = performance.now();
  await evaluateLosses(session, sequences, { batchSize: o.batch });
  const plainEval = seconds(t);
  await session.release();
  console.log(
    `plain evaluation: load ${plainLoad.toFixed(2)} s, ${tokens} tokens in ${plainEval.toFixed(2)} s (${
      (tokens / plainEval).toFixed(0)
    } tokens/s)`,
  );

  const line = (way: string, i: number, parts: Record<string, number>, evaluate: number) => {
    const total = Object.values(parts).reduce((a, b) => a + b, 0) + evaluate;
    const named = Object.entries(parts).map(([k, v]) => `${k} ${v.toFixed(2)} s, `).join("");
    console.log(
      `${way} peer ${i + 1}: ${named}evaluate ${evaluate.toFixed(2)} s (${(tokens / evaluate).toFixed(0)} tokens/s) = ${
        total.toFixed(2)
      } s per evaluated peer, ${(total / plainEval).toFixed(2)}× the plain evaluation of the same tokens`,
    );
    return { way, ...parts, evaluate, total };
  };
  const rows = [];
  const root = await Deno.makeTempDir({ dir: o.cache, prefix: "pseudograd-" });
  try {
    for (let i = 0; i < peers; i++) {
      const [submission, read] = await timed(() => readSubmission(bytes, layout));
      const out = join(root, `peer-${i}`);
      const [, write] = await timed(() => writePeerModel(base, { layout, submission, scale: 0.2, outDir: out }));
      const [peer, load] = await timed(async () =>
        createLossSession(await checkModel(out, { scanWeights: false }), options)
      );
      const [, evaluate] = await timed(() => evaluateLosses(peer, sequences, { batchSize: o.batch }));
      await peer.release();
      await Deno.remove(out, { recursive: true });
      rows.push(line("copy", i, { read, "write θ'": write, load }, evaluate));
    }
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }

  // The second way: one session per window, each peer's slots replaced on its runs.
  t = performance.now();
  const replacing = await openReplacingSession(base, layout, { batchSize: o.batch, threads: o.threads }, sequences);
  const theta = await readParameters(base);
  const windowLoad = seconds(t);
  t = performance.now();
  await evaluateLosses(replacing, sequences, { batchSize: o.batch });
  const unchanged = seconds(t);
  console.log(
    `graph: the window's session and θ in memory ${windowLoad.toFixed(2)} s once; the global model itself ` +
      `${unchanged.toFixed(2)} s (${(tokens / unchanged).toFixed(0)} tokens/s, ${
        (unchanged / plainEval).toFixed(2)
      }× plain)`,
  );
  try {
    for (let i = 0; i < peers; i++) {
      const [submission, read] = await timed(() => readSubmission(bytes, layout));
      const [, slots] = await timed(() =>
        replacing.replace(peerReplacements(theta, { layout, submission, scale: 0.2 }))
      );
      const [, evaluate] = await timed(() => evaluateLosses(replacing, sequences, { batchSize: o.batch }));
      rows.push(line("graph", i, { read, "θ' slots": slots }, evaluate));
    }
  } finally {
    await replacing.release();
  }
  if (o.json) {
    console.log(
      JSON.stringify({ model: name, tokens, plainLoad, plainEval, encode: encodeS, windowLoad, peers: rows }),
    );
  }
}
