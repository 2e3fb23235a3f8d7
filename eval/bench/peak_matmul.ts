/**
 * The float32 MatMul rate ONNX Runtime reaches on this machine: the denominator of MFU. The best
 * over a square product and the transformer's own shapes, with B a constant initializer as model
 * weights are (ONNX Runtime packs a constant B once; a B fed as input is repacked every run, which
 * measured ~10% slower and would flatter MFU).
 */
import * as ort from "onnxruntime-node";
import { DataType, encodeModel } from "../onnx/mod.ts";

/** (M, K, N) products timed by default. */
export const PEAK_SHAPES: readonly [number, number, number][] = [
  [2048, 2048, 2048],
  [1024, 768, 3072],
  [1024, 3072, 768],
  [1024, 768, 16384],
];

/** Best GFLOP/s over `reps` runs of each (M × K) · (K × N) MatMul, inputs fed once. */
export async function peakMatmulGflops(
  options: { shapes?: readonly [number, number, number][]; reps?: number; threads?: number } = {},
): Promise<{ gflops: number; shape: [number, number, number] }> {
  let best = { gflops: 0, shape: [0, 0, 0] as [number, number, number] };
  for (const shape of options.shapes ?? PEAK_SHAPES) {
    const gflops = await timeMatmul(shape, options.reps ?? 6, options.threads);
    if (gflops > best.gflops) best = { gflops, shape };
  }
  return best;
}

async function timeMatmul([m, k, n]: [number, number, number], reps: number, threads?: number): Promise<number> {
  const fill = (len: number) => new Float32Array(len).map((_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5);
  const weights = fill(k * n);
  const model = encodeModel({
    opsets: [{ domain: "", version: 21 }],
    graph: {
      name: "peak",
      nodes: [{ opType: "MatMul", inputs: ["a", "b"], outputs: ["y"] }],
      // B is a constant, as model weights are: ONNX Runtime packs it once, at load.
      initializers: [{ name: "b", dataType: DataType.FLOAT, dims: [k, n], raw: new Uint8Array(weights.buffer) }],
      inputs: [{ name: "a", dataType: DataType.FLOAT, shape: [m, k] }],
      outputs: [{ name: "y", dataType: DataType.FLOAT, shape: [m, n] }],
    },
  });
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads ?? navigator.hardwareConcurrency,
    interOpNumThreads: 1,
    extra: { session: { set_denormal_as_zero: "1" } },
  });
  const feeds = { a: new ort.Tensor("float32", fill(m * k), [m, k]) };
  await session.run(feeds);
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await session.run(feeds);
    best = Math.min(best, performance.now() - t);
  }
  await session.release();
  return (2 * m * k * n) / (best / 1000) / 1e9;
}
