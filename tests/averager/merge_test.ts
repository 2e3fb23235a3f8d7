/**
 * The averager's merge against the float64 reference: two LoRA adapters at shares 3:1 give
 * W + ¾·ΔW₁ + ¼·ΔW₂ (the reference merges each with lora_alpha scaled by its share), and a DoRA
 * adapter alone gives its own merged weights, whose losses also equal the engine's with the
 * adapter compiled in. The merged file set hashes, and the model loads like any other.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkAdapter, checkModel, createLossSession, evaluateLosses } from "../../eval/mod.ts";
import { writeMergedModel } from "../../src/mod.ts";
import { evalSequences, writeRandomAdapter } from "../../fixtures/mod.ts";
import { tinyModel } from "../helpers/models.ts";
import { tempDir } from "../helpers/temp.ts";
import { referenceForward } from "../reference/forward.ts";

const TOLERANCE = 1e-4;
const maxRel = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]) / Math.abs(b[i])));

async function losses(dir: string, sequences: number[][], adapter?: string): Promise<number[]> {
  const model = await checkModel(dir);
  const session = await createLossSession(model, {
    maxSequenceLength: 64,
    adapter: adapter ? await checkAdapter(adapter, model) : undefined,
  });
  try {
    return await evaluateLosses(session, sequences, { batchSize: 3 });
  } finally {
    await session.release();
  }
}

/** A copy of an adapter with lora_alpha scaled by `share`: the reference's way to apply share·ΔW. */
async function scaled(dir: string, share: number): Promise<string> {
  const out = join(await tempDir(), "scaled");
  await Deno.mkdir(out);
  await Deno.copyFile(join(dir, "adapter_model.safetensors"), join(out, "adapter_model.safetensors"));
  const config = JSON.parse(await Deno.readTextFile(join(dir, "adapter_config.json")));
  config.lora_alpha *= share;
  await Deno.writeTextFile(join(out, "adapter_config.json"), JSON.stringify(config));
  return out;
}

for (const baseName of ["gpt2-bf16-untied", "llama-f32-untied"]) {
  Deno.test(`${baseName}: two LoRA adapters merged at shares 3:1 agree with the reference`, async () => {
    const base = await tinyModel(baseName);
    const config = JSON.parse(await Deno.readTextFile(join(base, "config.json")));
    const root = await tempDir();
    const a = join(root, "a"), b = join(root, "b");
    await writeRandomAdapter(a, config, { rank: 4, alpha: 8, targets: "all-linear", seed: 11 });
    await writeRandomAdapter(b, config, { rank: 2, alpha: 2, targets: "all-linear", seed: 12, rslora: true });
    const model = await checkModel(base);
    const out = join(root, "merged");
    await writeMergedModel(model, [
      { adapter: await checkAdapter(a, model), weight: 0.6 },
      { adapter: await checkAdapter(b, model), weight: 0.2 },
    ], out);
    const sequences = await evalSequences(40, 3);
    const merged = await losses(out, sequences);
    // The reference: ¾ of A's update and ¼ of B's on the base's float64 weights.
    const ref = (await referenceForward(base, sequences, { adapters: [await scaled(a, 0.75), await scaled(b, 0.25)] }))
      .losses;
    const diff = maxRel(merged, ref);
    console.log(
      `${baseName}: merged 3:1 against the reference, max relative difference ${
        diff.toExponential(2)
      } (tolerance ${TOLERANCE})`,
    );
    assert.ok(diff < TOLERANCE, `${merged} vs ${ref}`);
    assert.ok(maxRel(merged, await losses(base, sequences)) > 1e-3, "the merge changes the model");
  });
}

Deno.test("a DoRA adapter merged alone scores as the adapter compiled onto the base, and as the reference", async () => {
  const base = await tinyModel("llama-bf16-tied");
  const config = JSON.parse(await Deno.readTextFile(join(base, "config.json")));
  const root = await tempDir();
  const adapter = join(root, "dora");
  await writeRandomAdapter(adapter, config, {
    rank: 4,
    alpha: 8,
    targets: ["q_proj", "o_proj", "up_proj"],
    dora: true,
    seed: 13,
  });
  const model = await checkModel(base);
  const out = join(root, "merged");
  await writeMergedModel(model, [{ adapter: await checkAdapter(adapter, model), weight: 1 }], out);
  const sequences = await evalSequences(40, 3);
  const merged = await losses(out, sequences);
  const compiled = await losses(base, sequences, adapter);
  const ref = (await referenceForward(base, sequences, { adapter })).losses;
  console.log(
    `DoRA merged alone: against the compiled adapter ${
      maxRel(merged, compiled).toExponential(2)
    }, against the reference ${maxRel(merged, ref).toExponential(2)} (tolerance ${TOLERANCE})`,
  );
  assert.ok(maxRel(merged, compiled) < TOLERANCE);
  assert.ok(maxRel(merged, ref) < TOLERANCE);
});
