/**
 * Rotary position embeddings as real checkpoints configure them, after transformers'
 * `modeling_rope_utils.py`: the rope types `default`, `linear`, `dynamic`, `llama3`, `yarn` and
 * `longrope`, read from `rope_parameters` (transformers v5 keeps `rope_theta` and the scaling
 * there) or from the older `rope_scaling` + `rope_theta`. Every field that changes the math is
 * honoured or refused by name; none is ignored.
 *
 * Each type gives inverse frequencies for the rotated half-dimensions and an attention factor
 * that scales cos and sin. Two are length-dependent in transformers, and the engine decides them
 * for the session's longest sequence: `dynamic` recomputes θ only beyond max_position_embeddings
 * (where the engine never evaluates, so it equals `default` here), and `longrope` takes its long
 * factors only for sequences longer than original_max_position_embeddings.
 */
import { previewValue } from "../reason.ts";
import type { ConfigReader } from "./spec.ts";

/** A validated RoPE configuration. */
export type RopeSpec =
  & { theta: number; rotaryDim: number; maxPositions: number }
  & (
    | { type: "default" }
    | { type: "linear"; factor: number }
    | { type: "dynamic"; factor: number }
    | { type: "llama3"; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number }
    | {
      type: "yarn";
      factor: number;
      originalMaxPositions: number;
      attentionFactor: number | null;
      betaFast: number;
      betaSlow: number;
      mscale: number | null;
      mscaleAllDim: number | null;
      truncate: boolean;
    }
    | {
      type: "longrope";
      factor: number;
      originalMaxPositions: number;
      attentionFactor: number | null;
      shortFactor: number[];
      longFactor: number[];
    }
  );

/** The fields each type reads (beyond `rope_type`/`type` and `rope_theta`). */
const FIELDS: Record<RopeSpec["type"], readonly string[]> = {
  default: [],
  linear: ["factor"],
  dynamic: ["factor", "original_max_position_embeddings"],
  llama3: ["factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"],
  yarn: [
    "factor",
    "attention_factor",
    "beta_fast",
    "beta_slow",
    "mscale",
    "mscale_all_dim",
    "original_max_position_embeddings",
    "truncate",
  ],
  longrope: ["short_factor", "long_factor", "factor", "attention_factor", "original_max_position_embeddings"],
};

/**
 * Reads the RoPE fields of `c.raw` for heads of `headDim`; `partial_rotary_factor` (in the RoPE
 * parameters or the config) rotates only the first head_dim × factor dimensions of each head.
 */
export function readRope(
  c: ConfigReader,
  o: { headDim: number; maxPositions: number },
): RopeSpec {
  const raw = c.raw;
  if (raw.rope_parameters != null && raw.rope_scaling != null) {
    throw c.error("rope_scaling", "and rope_parameters are both given; a config has one or the other");
  }
  const source = raw.rope_parameters != null ? "rope_parameters" : "rope_scaling";
  const p = (raw[source] ?? {}) as Record<string, unknown>;
  if (typeof p !== "object" || Array.isArray(p)) throw c.error(source, `must be an object, got ${previewValue(p)}`);
  if (Object.values(p).some((v) => typeof v === "object" && v !== null && !Array.isArray(v))) {
    throw c.error(source, "per layer type (one RoPE per attention kind) is not supported");
  }
  const typeValue = p.rope_type ?? p.type ?? "default";
  if (typeof typeValue !== "string" || !(typeValue in FIELDS)) {
    throw c.error(
      `${source}.rope_type`,
      `= ${previewValue(typeValue)} is not supported (supported: ${Object.keys(FIELDS).join(", ")})`,
    );
  }
  const type = typeValue as RopeSpec["type"];
  const known = new Set(["rope_type", "type", "rope_theta", "partial_rotary_factor", ...FIELDS[type]]);
  for (const key of Object.keys(p)) {
    if (!known.has(key)) {
      throw c.error(
        `${source}.${key.slice(0, 60)}`,
        `is not a field of rope type ${type}; refusing rather than ignoring it`,
      );
    }
  }
  const num = (key: string, fallback?: number | null): number | null => {
    const v = p[key] ?? fallback;
    if (v === undefined || v === null) return null;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw c.error(`${source}.${key}`, `must be a finite number, got ${previewValue(v)}`);
    }
    return v;
  };
  const need = (key: string, fallback?: number): number => {
    const v = num(key, fallback);
    if (v === null) throw c.error(`${source}.${key}`, `is required for rope type ${type}`);
    return v;
  };
  const thetaValue = p.rope_theta ?? raw.rope_theta ?? 10000;
  if (typeof thetaValue !== "number" || !(thetaValue > 1) || !Number.isFinite(thetaValue)) {
    throw c.error("rope_theta", `must be a finite number above 1, got ${previewValue(thetaValue)}`);
  }
  // transformers reads partial_rotary_factor from the RoPE parameters, else from the config itself.
  const partial = p.partial_rotary_factor ?? raw.partial_rotary_factor ?? 1;
  if (typeof partial !== "number" || !(partial > 0 && partial <= 1)) {
    throw c.error("partial_rotary_factor", `must be in (0, 1], got ${previewValue(partial)}`);
  }
  const rotaryDim = Math.floor(o.headDim * partial);
  if (rotaryDim < 2 || rotaryDim % 2 !== 0) {
    throw c.error("head_dim", `× partial_rotary_factor = ${rotaryDim} rotated dimensions: must be even and at least 2`);
  }
  const base = { theta: thetaValue, rotaryDim, maxPositions: o.maxPositions };
  const atLeastOne = (key: string, v: number) => {
    if (v < 1) throw c.error(`${source}.${key}`, `= ${v} must be at least 1`);
    return v;
  };
  const originalMax = (fallback: number) => {
    const v = num(
      "original_max_position_embeddings",
      (raw.original_max_position_embeddings as number | undefined) ?? fallback,
    )!;
    if (!Number.isSafeInteger(v) || v < 1) {
      throw c.error("original_max_position_embeddings", `must be a positive integer, got ${v}`);
    }
    return v;
  };

  switch (type) {
    case "default":
      return { ...base, type };
    case "linear":
      return { ...base, type, factor: atLeastOne("factor", need("factor")) };
    case "dynamic":
      return { ...base, type, factor: atLeastOne("factor", need("factor")) };
    case "llama3": {
      const lowFreqFactor = need("low_freq_factor"), highFreqFactor = need("high_freq_factor");
      if (!(highFreqFactor > lowFreqFactor)) {
        throw c.error(`${source}.high_freq_factor`, `must exceed low_freq_factor (${lowFreqFactor})`);
      }
      return {
        ...base,
        type,
        factor: atLeastOne("factor", need("factor")),
        lowFreqFactor,
        highFreqFactor,
        originalMaxPositions: need("original_max_position_embeddings"),
      };
    }
    case "yarn": {
      const originalMaxPositions = originalMax(o.maxPositions);
      const truncate = p.truncate ?? true;
      if (typeof truncate !== "boolean") {
        throw c.error(`${source}.truncate`, `must be true or false, got ${previewValue(truncate)}`);
      }
      return {
        ...base,
        type,
        factor: atLeastOne("factor", need("factor", o.maxPositions / originalMaxPositions)),
        originalMaxPositions,
        attentionFactor: num("attention_factor"),
        betaFast: num("beta_fast") || 32,
        betaSlow: num("beta_slow") || 1,
        mscale: num("mscale"),
        mscaleAllDim: num("mscale_all_dim"),
        truncate,
      };
    }
    case "longrope": {
      const originalMaxPositions = originalMax(o.maxPositions);
      const factors = (key: string) => {
        const v = p[key];
        if (
          !Array.isArray(v) || v.length !== rotaryDim / 2 ||
          !v.every((x) => typeof x === "number" && x > 0 && Number.isFinite(x))
        ) {
          throw c.error(`${source}.${key}`, `must be ${rotaryDim / 2} positive numbers (one per rotated pair)`);
        }
        return v as number[];
      };
      return {
        ...base,
        type,
        factor: need("factor", o.maxPositions / originalMaxPositions),
        originalMaxPositions,
        attentionFactor: num("attention_factor"),
        shortFactor: factors("short_factor"),
        longFactor: factors("long_factor"),
      };
    }
  }
}

/** Inverse frequencies (rotaryDim / 2 of them) and the cos/sin scale, for sequences up to `seqLen`. */
export function ropeFrequencies(r: RopeSpec, seqLen: number): { invFreq: number[]; attentionFactor: number } {
  const dim = r.rotaryDim, half = dim / 2;
  const plain = Array.from({ length: half }, (_, i) => 1 / Math.pow(r.theta, (2 * i) / dim));
  switch (r.type) {
    case "default":
      return { invFreq: plain, attentionFactor: 1 };
    case "linear":
      return { invFreq: plain.map((f) => f / r.factor), attentionFactor: 1 };
    case "dynamic": {
      const len = Math.max(seqLen, r.maxPositions);
      const theta = r.theta * Math.pow(r.factor * len / r.maxPositions - (r.factor - 1), dim / (dim - 2));
      return { invFreq: plain.map((_, i) => 1 / Math.pow(theta, (2 * i) / dim)), attentionFactor: 1 };
    }
    case "llama3": {
      const lowWavelen = r.originalMaxPositions / r.lowFreqFactor,
        highWavelen = r.originalMaxPositions / r.highFreqFactor;
      const invFreq = plain.map((f) => {
        const wavelen = (2 * Math.PI) / f;
        if (wavelen < highWavelen) return f;
        if (wavelen > lowWavelen) return f / r.factor;
        const smooth = (r.originalMaxPositions / wavelen - r.lowFreqFactor) / (r.highFreqFactor - r.lowFreqFactor);
        return (1 - smooth) * f / r.factor + smooth * f;
      });
      return { invFreq, attentionFactor: 1 };
    }
    case "yarn": {
      const mscale = (scale: number, m = 1) => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
      const attentionFactor = r.attentionFactor ??
        (r.mscale && r.mscaleAllDim ? mscale(r.factor, r.mscale) / mscale(r.factor, r.mscaleAllDim) : mscale(r.factor));
      const correction = (rotations: number) =>
        (dim * Math.log(r.originalMaxPositions / (rotations * 2 * Math.PI))) / (2 * Math.log(r.theta));
      let low = correction(r.betaFast), high = correction(r.betaSlow);
      if (r.truncate) [low, high] = [Math.floor(low), Math.ceil(high)];
      low = Math.max(low, 0);
      high = Math.min(high, dim - 1);
      if (low === high) high += 0.001;
      const invFreq = plain.map((f, i) => {
        const ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
        const extrapolation = 1 - ramp;
        return (f / r.factor) * (1 - extrapolation) + f * extrapolation;
      });
      return { invFreq, attentionFactor };
    }
    case "longrope": {
      const ext = seqLen > r.originalMaxPositions ? r.longFactor : r.shortFactor;
      const attentionFactor = r.attentionFactor ??
        (r.factor <= 1 ? 1 : Math.sqrt(1 + Math.log(r.factor) / Math.log(r.originalMaxPositions)));
      return { invFreq: plain.map((f, i) => f / ext[i]), attentionFactor };
    }
  }
}
