/**
 * The MatMul products the engine benchmark's peak rate is measured over: the default ones and
 * each bench model's own largest, so a large model is not measured against a rate only small
 * shapes reach.
 */
import { PEAK_SHAPES } from "../../eval/bench/mod.ts";
import { findArchitecture } from "../../eval/mod.ts";
import { BENCH_MODELS } from "../../fixtures/bench_models.ts";

/** The default peak shapes followed by the MLP products of each of `models` at sequence length `T`. */
export function peakShapes(models: string[], T: number): [number, number, number][] {
  return [...PEAK_SHAPES, ...models.flatMap((name) => modelShapes(name, T))];
}

/** A bench model's MLP products at sequence length T: (T × C) · (C × I) and (T × I) · (I × C). */
function modelShapes(name: string, T: number): [number, number, number][] {
  const config = BENCH_MODELS[name];
  const architecture = (config.architectures as string[])[0];
  const spec = findArchitecture(architecture)!.parseConfig(config, architecture) as {
    hiddenSize: number;
    intermediateSize?: number;
  };
  const I = spec.intermediateSize ?? 4 * spec.hiddenSize;
  return [[T, spec.hiddenSize, I], [T, I, spec.hiddenSize]];
}
