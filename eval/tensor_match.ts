/**
 * Matches the tensors a file set declares against the exact list a config implies: every
 * parameter present with its shape, nothing unknown. Works on headers alone, so it runs before
 * any weight is read (locally or over HTTP range reads).
 */
import type { Architecture, ModelSpec } from "./architectures/mod.ts";
import { previewValue } from "./reason.ts";
import { type Dtype, DTYPE_BYTES } from "./safetensors/mod.ts";

/** What a header says about one tensor. */
export interface DeclaredTensor {
  name: string;
  dtype: string;
  shape: number[];
}

/** The outcome: canonical name → the key used in the files, plus totals. */
export interface TensorMatch {
  keys: Map<string, string>;
  parameterCount: number;
  /** Stored bytes of the parameters (ignored buffers excluded). */
  parameterBytes: number;
  ignoredBuffers: string[];
}

/**
 * Every name a tensor of this model may have in its files, under any of the architecture's key
 * conventions, plus its ignorable buffers: a name outside it is refused as soon as it is read.
 */
export function knownTensorNames(arch: Architecture, spec: ModelSpec): (name: string) => boolean {
  const names = new Set(arch.tensors(spec).flatMap((t) => arch.keyPrefixes.map((p) => keyFor(t.name, arch, p))));
  return (name) => names.has(name) || arch.buffers.test(name);
}

/** Throws `TypeError`/`RangeError` naming the first tensor that breaks a rule. */
export function matchTensors(
  arch: Architecture,
  spec: ModelSpec,
  declared: Iterable<DeclaredTensor>,
): TensorMatch {
  const present = new Map<string, DeclaredTensor>();
  for (const t of declared) present.set(t.name, t);
  const expected = arch.tensors(spec);
  // The first prefix under which the first expected tensor exists decides the convention.
  const prefix = arch.keyPrefixes.find((p) => present.has(keyFor(expected[0].name, arch, p))) ??
    arch.keyPrefixes[0];

  const keys = new Map<string, string>();
  let parameterCount = 0, parameterBytes = 0;
  for (const { name, shape } of expected) {
    const key = keyFor(name, arch, prefix);
    const t = present.get(key);
    if (!t) throw new TypeError(`missing tensor "${key}" (required by config.json)`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new RangeError(
        `tensor "${key}" has shape ${previewValue(t.shape)}, config.json implies ${JSON.stringify(shape)}`,
      );
    }
    const n = shape.reduce((a, b) => a * b, 1);
    parameterCount += n;
    parameterBytes += n * (DTYPE_BYTES[t.dtype as Dtype] ?? 0);
    keys.set(name, key);
    present.delete(key);
  }
  const ignoredBuffers: string[] = [];
  for (const key of [...present.keys()].sort()) {
    if (!arch.buffers.test(key)) {
      throw new TypeError(`unexpected tensor "${key}" (not part of ${spec.architecture} for this config.json)`);
    }
    ignoredBuffers.push(key);
  }
  return { keys, parameterCount, parameterBytes, ignoredBuffers };
}

// Canonical names carry the first listed prefix; strip it and apply the chosen one.
function keyFor(canonical: string, arch: Architecture, prefix: string): string {
  const base = arch.keyPrefixes[0];
  if (base && canonical.startsWith(base)) return prefix + canonical.slice(base.length);
  return canonical;
}
