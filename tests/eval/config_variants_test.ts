/**
 * Config variants (RoPE types, Gemma2 features): each one the fixtures carry really changes the losses (so the engine's agreement
 * with the float64 reference in engine_test.ts tests the rule, not a no-op), `dynamic` equals
 * plain RoPE within max_position_embeddings as transformers computes it, and every field that
 * would change the math but is not understood is refused by name.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkModel, createLossSession, evaluateLosses, ModelRejected } from "../../eval/mod.ts";
import { evalSequences } from "../../fixtures/mod.ts";
import { tinyModel } from "../helpers/models.ts";
import { tempDir } from "../helpers/temp.ts";

async function lossesWith(dir: string, change: (config: Record<string, any>) => void): Promise<number[]> {
  const copy = join(await tempDir(), "m");
  await Deno.mkdir(copy);
  await Deno.copyFile(join(dir, "model.safetensors"), join(copy, "model.safetensors"));
  const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  change(config);
  await Deno.writeTextFile(join(copy, "config.json"), JSON.stringify(config));
  const session = await createLossSession(await checkModel(copy), { maxSequenceLength: 64 });
  const losses = await evaluateLosses(session, await evalSequences(40, 3), { batchSize: 3 });
  await session.release();
  return losses;
}

const maxRel = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]) / Math.abs(b[i])));

Deno.test("every RoPE variant changes the losses against plain RoPE; dynamic equals it within max_position_embeddings", async () => {
  for (const variant of ["llama3", "linear", "yarn", "longrope", "v5-parameters", "dynamic"]) {
    const dir = await tinyModel(`llama-rope-${variant}-f32`);
    const scaled = await lossesWith(dir, () => {});
    const plain = await lossesWith(dir, (c) => {
      delete c.rope_scaling;
      delete c.rope_parameters;
      c.rope_theta = variant === "llama3" ? 500000 : 10000;
    });
    const diff = maxRel(scaled, plain);
    console.log(`${variant}: relative change against plain RoPE ${diff.toExponential(2)}`);
    if (variant === "dynamic") assert.ok(diff < 1e-7, `dynamic below max_position_embeddings is plain RoPE (${diff})`);
    else assert.ok(diff > 1e-3, `${variant} must matter here (${diff})`);
  }
});

Deno.test("RoPE fields that are not understood are refused by name, never ignored", async () => {
  const dir = await tinyModel("llama-rope-llama3-f32");
  const refused = async (change: (c: Record<string, any>) => void, reason: RegExp) => {
    const err = await lossesWith(dir, change).then(() => null, (e) => e);
    assert.ok(err instanceof ModelRejected && err.code === "config", String(err));
    assert.match(err.message, reason);
  };
  await refused(
    (c) => (c.rope_scaling.rope_type = "su"),
    /rope_scaling\.rope_type = "su" is not supported \(supported: default, linear, dynamic, llama3, yarn, longrope\)/,
  );
  await refused(
    (c) => (c.rope_scaling.beta_fast = 16),
    /rope_scaling\.beta_fast is not a field of rope type llama3; refusing rather than ignoring it/,
  );
  await refused(
    (c) => delete c.rope_scaling.low_freq_factor,
    /rope_scaling\.low_freq_factor is required for rope type llama3/,
  );
  await refused(
    (c) => (c.rope_scaling.partial_rotary_factor = 1.5),
    /partial_rotary_factor must be in \(0, 1\], got 1\.5/,
  );
  await refused(
    (c) => (c.rope_parameters = { rope_type: "default", rope_theta: 1e4 }),
    /rope_scaling and rope_parameters are both given/,
  );
  await refused((c) => {
    delete c.rope_scaling;
    c.rope_parameters = { full_attention: { rope_type: "default" }, sliding_attention: { rope_type: "default" } };
  }, /rope_parameters per layer type \(one RoPE per attention kind\) is not supported/);
  await refused((c) => (c.rope_scaling.high_freq_factor = 0.5), /high_freq_factor must exceed low_freq_factor/);
});

Deno.test("Gemma2's soft caps, query scalar and alternating windows each change the losses (so the reference agreement tests them)", async () => {
  const dir = await tinyModel("gemma2-f32-tied");
  const base = await lossesWith(dir, () => {});
  const changes: [string, (c: Record<string, any>) => void][] = [
    ["attn_logit_softcapping off", (c) => (c.attn_logit_softcapping = null)],
    ["final_logit_softcapping off", (c) => (c.final_logit_softcapping = null)],
    ["query_pre_attn_scalar = head_dim", (c) => (c.query_pre_attn_scalar = 16)],
    ["no sliding layer", (c) => (c.layer_types = ["full_attention", "full_attention"])],
  ];
  for (const [what, change] of changes) {
    const diff = maxRel(await lossesWith(dir, change), base);
    console.log(`gemma2, ${what}: relative change ${diff.toExponential(2)}`);
    assert.ok(diff > 1e-4, `${what} must matter here (${diff})`);
  }
  const refused = await lossesWith(await tinyModel("gemma-f32-tied"), (c) => (c.final_logit_softcapping = 30)).then(
    () => null,
    (e) => e,
  );
  assert.match(String(refused?.message), /final_logit_softcapping is a Gemma2 field; GemmaForCausalLM does not use it/);
});

Deno.test("Phi-3: rotating half of each head and its window change the losses; the fused weights are read as row blocks", async () => {
  const dir = await tinyModel("phi3-f32-untied");
  const base = await lossesWith(dir, () => {});
  for (
    const [what, change] of [
      ["every dimension rotated", (c: Record<string, any>) => {
        delete c.partial_rotary_factor; // four rotated pairs instead of two, the added ones unscaled
        c.rope_scaling.short_factor = [...c.rope_scaling.short_factor, 1, 1];
        c.rope_scaling.long_factor = [...c.rope_scaling.long_factor, 1, 1];
      }],
      ["no window", (c: Record<string, any>) => delete c.sliding_window],
    ] as const
  ) {
    const diff = maxRel(await lossesWith(dir, change), base);
    console.log(`phi3, ${what}: relative change ${diff.toExponential(2)}`);
    assert.ok(diff > 1e-4, `${what} must matter here (${diff})`);
  }
  // The graph reads q, k, v and gate, up as blocks of rows of the fused tensors, in place.
  const model = await checkModel(dir);
  const { compileModel } = await import("../../eval/compile.ts");
  const graph = new TextDecoder("latin1").decode(compileModel(model, 64).bytes);
  for (
    const block of [
      "self_attn.qkv_proj.weight[0:32]",
      "self_attn.qkv_proj.weight[32:48]",
      "self_attn.qkv_proj.weight[48:64]",
      "mlp.gate_up_proj.weight[0:48]",
      "mlp.gate_up_proj.weight[48:96]",
    ]
  ) {
    assert.ok(graph.includes(`model.layers.0.${block}`), block);
  }
});
