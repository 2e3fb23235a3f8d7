/**
 * What every architecture module provides, and the config reader they share.
 * A `ModelSpec` is the validated, normalised view of a `config.json`; the compiler reads only it.
 */
import { previewValue } from "../reason.ts";
import type { GraphContext } from "./graph_context.ts";
export type { LoraSource, LoraWeights, WeightSource } from "./graph_context.ts";

/** The fields the shared loss head and the checks need, for every architecture. */
export interface ModelSpec {
  architecture: string;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  maxPositions: number;
  tieWordEmbeddings: boolean;
  /** Final logits soft-capped as cap · tanh(logits / cap) (Gemma2), or none. */
  logitSoftcap?: number | null;
}

/** One tensor a config requires: its state-dict key (without optional prefix) and shape. */
export interface TensorSpec {
  name: string;
  shape: number[];
  /** Set on a linear layer's weight: the layer, as PEFT names modules (the key without `.weight`). */
  linear?: LinearModule;
}

/** How a linear layer's weight is stored: nn.Linear (out, in), or GPT-2's Conv1D (in, out). */
export type WeightLayout = "out_in" | "in_out";

/** A linear layer: the module an adapter may target. */
export interface LinearModule {
  module: string;
  inFeatures: number;
  outFeatures: number;
  layout: WeightLayout;
}

/** An allow-listed architecture: config parsing, the exact tensor list, and the graph body. */
export interface Architecture<S extends ModelSpec = ModelSpec> {
  /** `architectures[0]` values in config.json that select this module. */
  names: readonly string[];
  parseConfig(raw: Record<string, unknown>, architecture: string): S;
  /** Every parameter tensor the config implies, keyed by the canonical state-dict name. */
  tensors(spec: S): TensorSpec[];
  /** Key prefixes seen in the wild for the same tensors (e.g. GPT-2 with and without `transformer.`). */
  keyPrefixes: readonly string[];
  /** Keys of non-parameter buffers some checkpoints carry; they are ignored, never loaded. */
  buffers: RegExp;
  /** Canonical name of the (V, C) output embedding. */
  headName(spec: S): string;
  /** Canonical name of the output head's (V) bias, when it has one (Phi). */
  headBiasName?(spec: S): string | null;
  /**
   * Adds the body of the network: token ids `gc.ids` (B, T) → final normalised hidden states
   * (B, T, C). `gc.w(name)` returns the graph value of a parameter by canonical name (in the
   * compute type); `gc.w(name, rows)` a block of its rows (a fused projection's part), still read
   * in place from the file. Every linear layer of the tensor list (`TensorList.linear`/`conv1d`)
   * goes through linear.ts's `linearLayers` (over dense.ts) with its module name, so a LoRA
   * adapter (`gc.lora`) applies to any of them (tests/eval/adapter_test.ts checks every
   * architecture against the reference).
   */
  buildHidden(gc: GraphContext, spec: S): string;
}

/** Upper bounds on config dimensions; anything larger is rejected as absurd before loading. */
export const LIMITS = {
  vocabSize: 1_048_576,
  hiddenSize: 65_536,
  numLayers: 1_024,
  numHeads: 1_024,
  intermediateSize: 1_048_576,
  maxPositions: 4_194_304,
} as const;

/** Reads config fields with a precise error for each kind of bad value. */
export class ConfigReader {
  constructor(readonly raw: Record<string, unknown>, readonly architecture: string) {}

  /** A positive integer no larger than `max`; `fallback` when the key is absent or null. */
  int(key: string, max: number, fallback?: number): number {
    const v = this.raw[key] ?? fallback;
    if (v === undefined) throw this.#error(key, "is missing");
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) {
      throw this.#error(key, `must be a positive integer, got ${previewValue(v)}`);
    }
    if (v > max) throw this.#error(key, `= ${v} exceeds the limit ${max}`);
    return v;
  }

  /** A finite positive number. */
  positive(key: string, fallback: number): number {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw this.#error(key, `must be a finite positive number, got ${previewValue(v)}`);
    }
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== "boolean") throw this.#error(key, `must be true or false, got ${previewValue(v)}`);
    return v;
  }

  /** A string from an allowed set. */
  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== "string" || !allowed.includes(v as T)) {
      throw this.#error(key, `= ${previewValue(v)} is not supported (allowed: ${allowed.join(", ")})`);
    }
    return v as T;
  }

  /** Throws unless `a` is divisible by `b`. */
  divisible(aKey: string, a: number, bKey: string, b: number): void {
    if (a % b !== 0) throw this.#error(aKey, `= ${a} is not divisible by ${bKey} = ${b}`);
  }

  error(key: string, message: string): RangeError {
    return this.#error(key, message);
  }

  #error(key: string, message: string): RangeError {
    return new RangeError(`config.json (${this.architecture}): ${key} ${message}`);
  }
}
