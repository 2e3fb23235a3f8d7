/** The float32 MatMul rate ONNX Runtime reaches on this machine: the denominator of MFU. */
import * as ort from "onnxruntime-node";
import { DataType, encodeModel } from "../onnx/mod.ts";

/** Best GFLOP/s over `reps` runs of one (n × n) · (n × n) MatMul, inputs fed once. */
export async function peakMatmulGflops(options: { n?: number; reps?: number; threads?: number } = {}): Promise<number> {
  const n = options.n ?? 2048, reps = options.reps ?? 8;
  const model = encodeModel({
    opsets: [{ domain: "", version: 21 }],
    graph: {
      name: "peak",
      nodes: [{ opType: "MatMul", inputs: ["a", "b"], outputs: ["y"] }],
      initializers: [],
      inputs: ["a", "b"].map((name) => ({ name, dataType: DataType.FLOAT, shape: [n, n] })),
      outputs: [{ name: "y", dataType: DataType.FLOAT, shape: [n, n] }],
    },
  });
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: options.threads ?? navigator.hardwareConcurrency,
    interOpNumThreads: 1,
  });
  const data = new Float32Array(n * n).map((_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5);
  const feeds = { a: new ort.Tensor("float32", data, [n, n]), b: new ort.Tensor("float32", data, [n, n]) };
  await session.run(feeds);
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await session.run(feeds);
    best = Math.min(best, performance.now() - t);
  }
  await session.release();
  return (2 * n ** 3) / (best / 1000) / 1e9;
}
