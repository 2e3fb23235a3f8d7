/**
 * The reference's view of a PEFT adapter: merged into the base weights in float64, from PEFT's
 * definitions (peft/tuners/lora/layer.py `get_delta_weight`, `merge`; dora.py `get_weight_norm`):
 *   ΔW = s · B A (out, in), transposed for fan_in_fan_out (GPT-2's Conv1D stores (in, out)),
 *   s = lora_alpha / r, or lora_alpha / √r with use_rslora;
 *   LoRA: W' = W + ΔW;
 *   DoRA: W' = (m / ‖W + ΔW‖) ⊙ (W + ΔW), the norm and m per output row.
 * Plain loops; shares no code with eval/.
 */
import { join } from "node:path";
import { readSafetensors, type Weights } from "./forward.ts";

/** Merges the adapter in `adapterDir` into `weights` (in place). */
export async function mergeLora(weights: Weights, adapterDir: string): Promise<void> {
  const cfg = JSON.parse(await Deno.readTextFile(join(adapterDir, "adapter_config.json")));
  const s = cfg.use_rslora ? cfg.lora_alpha / Math.sqrt(cfg.r) : cfg.lora_alpha / cfg.r;
  const adapter = await readSafetensors(join(adapterDir, "adapter_model.safetensors"));
  // GPT-2 checkpoints may store keys without "transformer."; PEFT names modules with it.
  const bare = !weights.has("transformer.wte.weight") && weights.has("wte.weight");
  for (const [key, A] of adapter) {
    const m = /^base_model\.model\.(.+)\.lora_A\.weight$/.exec(key);
    if (!m) continue;
    const module = m[1];
    const B = adapter.get(`base_model.model.${module}.lora_B.weight`)!;
    const W = weights.get((bare ? module.replace(/^transformer\./, "") : module) + ".weight")!;
    const [r, inF] = A.shape, outF = B.shape[0];
    const at = (o: number, i: number) => (cfg.fan_in_fan_out ? i * outF + o : o * inF + i); // index of (o, i) in W
    for (let o = 0; o < outF; o++) {
      for (let i = 0; i < inF; i++) {
        let d = 0;
        for (let k = 0; k < r; k++) d += B.data[o * r + k] * A.data[k * inF + i];
        W.data[at(o, i)] += s * d;
      }
    }
    const mag = adapter.get(`base_model.model.${module}.lora_magnitude_vector`);
    if (!cfg.use_dora) continue;
    for (let o = 0; o < outF; o++) {
      let sq = 0;
      for (let i = 0; i < inF; i++) sq += W.data[at(o, i)] ** 2;
      const scale = mag!.data[o] / Math.sqrt(sq);
      for (let i = 0; i < inF; i++) W.data[at(o, i)] *= scale;
    }
  }
}
