/**
 * The averager's merge (Hivetrain's second half): a full model from a base and adapters weighted
 * by how the validator paid them. Each adapter merged alone gives, per adapted layer (PEFT's
 * `merge`, tuners/lora/layer.py and dora.py):
 *   LoRA  Wᵢ = W + s·BA
 *   DoRA  Wᵢ = (m / ‖W + s·BA‖) ⊙ (W + s·BA), the norm and m per output row;
 * a layer it leaves alone keeps W. The average is W' = Σ wᵢ·Wᵢ with Σ wᵢ = 1 (for LoRA, the base
 * plus the weighted updates). Everything else is the base's. Written in float32, tensor by
 * tensor; the base's config.json (and tokenizer files) come along.
 */
import {
  type CheckedAdapter,
  type CheckedModel,
  type LinearModule,
  toFloat32,
  type WeightRef,
  writeDerivedModel,
} from "../../eval/mod.ts";

/** An adapter and its share of the merge. */
export interface WeightedAdapter {
  adapter: CheckedAdapter;
  weight: number;
}

/** Writes the merged model into `outDir` (created); the shares are normalised to sum to 1. */
export async function writeMergedModel(
  base: CheckedModel,
  adapters: readonly WeightedAdapter[],
  outDir: string,
): Promise<void> {
  const total = adapters.reduce((s, a) => s + a.weight, 0);
  if (adapters.length === 0 || !(total > 0) || adapters.some((a) => !(a.weight >= 0))) {
    throw new RangeError("the merge needs at least one adapter and non-negative shares with a positive sum");
  }
  const shares = adapters.map((a) => ({ adapter: a.adapter, share: a.weight / total }));
  const linears = new Map<string, LinearModule>();
  for (const t of base.arch.tensors(base.spec)) if (t.linear) linears.set(t.name, t.linear);

  const tensors = [...base.params].map(([name, ref]) => ({
    name,
    shape: ref.shape,
    values: async () => {
      const w = toFloat32(await base.files.read(ref.fileName, ref.offset, ref.offset + ref.length), ref.dtype);
      const linear = linears.get(name);
      const touching = linear ? shares.filter((s) => s.adapter.layers.has(linear.module)) : [];
      if (!linear || touching.length === 0) return w;
      const out = new Float32Array(w.length);
      for (const { adapter, share } of shares) {
        const merged = adapter.layers.has(linear.module) ? mergeLayer(w, linear, adapter) : w;
        for (let i = 0; i < out.length; i++) out[i] += share * merged[i];
      }
      return out;
    },
  }));
  await writeDerivedModel(base, outDir, tensors);
}

/** One adapter merged into one layer's weight (a new array; `w` is left as it is). */
export function mergeLayer(w: Float32Array, linear: LinearModule, adapter: CheckedAdapter): Float32Array {
  const layer = adapter.layers.get(linear.module)!;
  const tensor = (ref: WeightRef) => toFloat32(adapter.bytes.subarray(ref.offset, ref.offset + ref.length), ref.dtype);
  const a = tensor(layer.a), b = tensor(layer.b); // (r, in), (out, r)
  const magnitude = layer.magnitude ? tensor(layer.magnitude) : null; // (out), DoRA
  const r = adapter.config.rank, s = adapter.config.scaling;
  const inF = linear.inFeatures, outF = linear.outFeatures;
  // Index of element (o, i) of the (out, in) matrix in the stored weight.
  const at = linear.layout === "out_in"
    ? (o: number, i: number) => o * inF + i
    : (o: number, i: number) => i * outF + o;
  const out = Float32Array.from(w);
  const row = new Float64Array(inF);
  for (let o = 0; o < outF; o++) {
    row.fill(0);
    for (let k = 0; k < r; k++) {
      const bk = s * b[o * r + k];
      if (bk === 0) continue;
      for (let i = 0; i < inF; i++) row[i] += bk * a[k * inF + i];
    }
    let sq = 0;
    for (let i = 0; i < inF; i++) {
      const v = w[at(o, i)] + row[i];
      row[i] = v;
      sq += v * v;
    }
    const scale = magnitude ? magnitude[o] / Math.sqrt(sq) : 1;
    for (let i = 0; i < inF; i++) out[at(o, i)] = scale * row[i];
  }
  return out;
}
