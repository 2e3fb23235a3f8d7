/**
 * LoRA, rsLoRA and DoRA adapters on GPT-2 (Conv1D, fan_in_fan_out), the Llama family, Gemma,
 * Gemma2, Phi, Phi3 (its fused projections read in parts), GPT-NeoX, GPT-J, Falcon and BART: the
 * engine's per-sequence losses with the adapter compiled into the graph agree with the float64
 * reference on merged weights (tests/reference/lora_merge.ts, from PEFT's definitions), each
 * adapter really changes the losses, and an adapter with B = 0 (PEFT's initialisation) does not.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ARCHITECTURES, checkAdapter, checkModel, createLossSession, evaluateLosses } from "../../eval/mod.ts";
import {
  adapterConfigJson,
  type AdapterOptions,
  evalSequences,
  randomAdapterTensors,
  TINY_MODELS,
  writeAdapter,
  writeRandomAdapter,
} from "../../fixtures/mod.ts";
import { tinyModel } from "../helpers/models.ts";
import { tempDir } from "../helpers/temp.ts";
import { referenceForward } from "../reference/forward.ts";

const TOLERANCE = 1e-4;
const maxRel = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]) / Math.abs(b[i])));

async function engineLosses(base: string, adapter: string | null, sequences: number[][]): Promise<number[]> {
  const model = await checkModel(base);
  const session = await createLossSession(model, {
    maxSequenceLength: 64,
    adapter: adapter ? await checkAdapter(adapter, model) : undefined,
  });
  try {
    return await evaluateLosses(session, sequences, { batchSize: 2 });
  } finally {
    await session.release();
  }
}

const VARIANTS: Record<string, Omit<AdapterOptions, "targets">> = {
  lora: { rank: 4, alpha: 8, seed: 3 },
  rslora: { rank: 8, alpha: 4, rslora: true, seed: 5, dtype: "BF16" },
  dora: { rank: 4, alpha: 8, dora: true, seed: 7 },
};
const BASES: [string, AdapterOptions["targets"]][] = [
  ["gpt2-bf16-untied", ["c_attn", "c_proj", "c_fc"]], // keys without "transformer.",
  ["gpt2-bf16-tied", "all-linear"],
  ["llama-f32-untied", "all-linear"],
  ["llama-bf16-tied", ["q_proj", "v_proj", "down_proj"]],
  ["qwen3-f32-untied", "all-linear"],
  ["gemma-bf16-tied", "all-linear"],
  ["gemma2-f32-untied", ["q_proj", "o_proj", "gate_proj"]],
  ["phi-f32-untied", "all-linear"],
  ["phi3-bf16-tied", "all-linear"], // fused qkv_proj and gate_up_proj read in parts
  ["phi3-f32-untied", ["qkv_proj", "down_proj"]],
  ["gpt_neox-bf16-untied", "all-linear"],
  ["gptj-f32-tied", "all-linear"],
  ["falcon-7b-f32", "all-linear"],
  ["falcon-new-arch-bf16", ["query_key_value", "dense_4h_to_h"]],
  ["bart-f32-untied", "all-linear"],
];

Deno.test("every architecture the engine compiles is among the bases checked here", () => {
  // A new architecture must route its linear layers through the dense layers with their names, and
  // join this list, where the reference checks that it does.
  const checked = new Set(
    BASES.map(([name]) => (TINY_MODELS.find((d) => d.name === name)!.config.architectures as string[])[0]),
  );
  const modules = ARCHITECTURES.filter((a) => !a.names.some((n) => checked.has(n)));
  assert.deepEqual(modules.map((a) => a.names[0]), []);
});

for (const [baseName, targets] of BASES) {
  Deno.test(`${baseName}: LoRA, rsLoRA and DoRA agree with the float64 reference on merged weights`, async () => {
    const base = await tinyModel(baseName);
    const config = JSON.parse(await Deno.readTextFile(join(base, "config.json")));
    const sequences = await evalSequences(40, 3);
    const plain = await engineLosses(base, null, sequences);
    for (const [variant, o] of Object.entries(VARIANTS)) {
      const dir = join(await tempDir(), variant);
      await writeRandomAdapter(dir, config, { ...o, targets });
      const engine = await engineLosses(base, dir, sequences);
      const ref = await referenceForward(base, sequences, { adapter: dir });
      const diff = maxRel(engine, ref.losses);
      const change = maxRel(engine, plain);
      console.log(
        `${baseName} ${variant}: max relative difference ${diff.toExponential(2)} (tolerance ${TOLERANCE}); ` +
          `change against the base ${change.toExponential(2)}`,
      );
      assert.ok(diff < TOLERANCE, `${variant}: ${engine} vs ${ref.losses}`);
      assert.ok(change > 1e-3, `${variant} must change the losses (${change})`);
      assert.deepEqual(await engineLosses(base, dir, sequences), engine, "deterministic");
    }
  });
}

Deno.test("an adapter as PEFT initialises it (B = 0) leaves the losses as they are", async () => {
  const base = await tinyModel("llama-f32-untied");
  const config = JSON.parse(await Deno.readTextFile(join(base, "config.json")));
  const o: AdapterOptions = { rank: 4, alpha: 16, targets: "all-linear", seed: 9 };
  const tensors = randomAdapterTensors(config, o).map((
    t,
  ) => (t.name.endsWith("lora_B.weight") ? { ...t, data: t.data.fill(0) } : t));
  const dir = join(await tempDir(), "zero");
  await writeAdapter(dir, { config: adapterConfigJson(config, o), tensors });
  const sequences = await evalSequences(40, 2);
  const diff = maxRel(await engineLosses(base, dir, sequences), await engineLosses(base, null, sequences));
  assert.ok(diff < 1e-6, `B = 0 must change nothing (${diff})`);
});
