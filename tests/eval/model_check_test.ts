import assert from "node:assert/strict";
import { join } from "node:path";
import { checkModel, ModelRejected, type RejectionCode } from "../../eval/mod.ts";
import { encodeSafetensors, randomParameters, TINY_MODELS, writeModelFiles } from "../../fixtures/mod.ts";
import { tinyModel } from "../helpers/models.ts";
import { tempDir } from "../helpers/temp.ts";

const llamaDef = TINY_MODELS.find((d) => d.name === "llama-f32-untied")!;
const gpt2Def = TINY_MODELS.find((d) => d.name === "gpt2-f32-untied")!;

/** Writes a model from a fixture's config and parameters after `edit`, and checks it. */
async function checkEdited(
  def: typeof llamaDef,
  edit: { config?: (c: Record<string, unknown>) => void; tensors?: (t: ReturnType<typeof randomParameters>) => void },
  options?: Parameters<typeof checkModel>[1],
) {
  const dir = await tempDir();
  const config = structuredClone(def.config);
  edit.config?.(config);
  const tensors = randomParameters(def.config, def.seed);
  edit.tensors?.(tensors);
  await writeModelFiles(dir, { config, tensors, dtype: def.dtype });
  return checkModel(dir, options);
}

async function assertRejected(promise: Promise<unknown>, code: RejectionCode, pattern: RegExp) {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof ModelRejected, `expected ModelRejected, got ${e}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("checkModel() accepts every fixture and counts parameters from headers", async () => {
  for (const def of TINY_MODELS) {
    const m = await checkModel(await tinyModel(def.name));
    const expected = randomParameters(def.config, def.seed).reduce((n, t) => n + t.data.length, 0);
    assert.equal(m.parameterCount, expected, def.name);
  }
});

Deno.test("checkModel() ignores GPT-2 causal-mask buffers and does not count them", async () => {
  const m = await checkModel(await tinyModel("gpt2-f32-tied"));
  const buffers = [...m.tensors.keys()].filter((k) => k.endsWith(".attn.bias"));
  assert.equal(buffers.length, 2);
  assert.ok(![...m.params.values()].some((r) => r.name.endsWith(".attn.bias")));
});

Deno.test("checkModel() accepts GPT-2 keys with and without the transformer. prefix", async () => {
  const bare = await checkModel(await tinyModel("gpt2-f32-tied"));
  const prefixed = await checkModel(await tinyModel("gpt2-f32-untied"));
  assert.equal(bare.params.get("transformer.wte.weight")!.name, "wte.weight");
  assert.equal(prefixed.params.get("transformer.wte.weight")!.name, "transformer.wte.weight");
});

Deno.test("checkModel() rejects a missing tensor, naming it", async () => {
  await assertRejected(
    checkEdited(llamaDef, {
      tensors: (t) => t.splice(t.findIndex((x) => x.name === "model.layers.1.mlp.up_proj.weight"), 1),
    }),
    "tensors",
    /missing tensor "model.layers.1.mlp.up_proj.weight"/,
  );
});

Deno.test("checkModel() rejects an extra tensor, naming it", async () => {
  await assertRejected(
    checkEdited(llamaDef, {
      tensors: (t) => t.push({ name: "model.layers.0.backdoor", shape: [2], data: new Float32Array(2) }),
    }),
    "tensors",
    /unexpected tensor "model.layers.0.backdoor"/,
  );
});

Deno.test("checkModel() rejects a tensor whose shape does not match config.json", async () => {
  await assertRejected(
    checkEdited(gpt2Def, { config: (c) => (c.n_inner = 64) }),
    "tensors",
    /tensor "transformer.h.0.mlp.c_fc.weight" has shape \[32,128\], config.json implies \[32,64\]/,
  );
});

Deno.test("checkModel() rejects absurd and inconsistent config dimensions", async () => {
  const cases: [(c: Record<string, unknown>) => void, RegExp][] = [
    [(c) => (c.hidden_size = 1e9), /hidden_size = 1000000000 exceeds the limit/],
    [(c) => (c.vocab_size = -5), /vocab_size must be a positive integer/],
    [(c) => (c.num_hidden_layers = 2.5), /num_hidden_layers must be a positive integer/],
    [(c) => (c.num_key_value_heads = 3), /num_attention_heads = 4 is not divisible by num_key_value_heads = 3/],
    [(c) => (c.rms_norm_eps = "small"), /rms_norm_eps must be a finite positive number/],
    [(c) => (c.rope_scaling = { type: "su", factor: 4 }), /rope_scaling\.rope_type = "su" is not supported/],
    [(c) => (c.hidden_act = "relu"), /hidden_act = "relu" is not supported/],
    [(c) => delete c.hidden_size, /hidden_size is missing/],
  ];
  for (const [edit, pattern] of cases) await assertRejected(checkEdited(llamaDef, { config: edit }), "config", pattern);
});

Deno.test("checkModel() rejects architectures outside the allow-list and configs that name none", async () => {
  await assertRejected(
    checkEdited(llamaDef, { config: (c) => (c.architectures = ["BertModel"]) }),
    "architecture",
    /"BertModel" is not allowed/,
  );
  await assertRejected(
    checkEdited(llamaDef, { config: (c) => (c.architectures = []) }),
    "config",
    /exactly one architecture/,
  );
  await assertRejected(
    checkEdited(llamaDef, {}, { limits: { architectures: ["GPT2LMHeadModel"] } }),
    "architecture",
    /"LlamaForCausalLM" is not allowed \(allowed: GPT2LMHeadModel\)/,
  );
});

Deno.test("checkModel() rejects a missing or malformed config.json", async () => {
  const dir = await tempDir();
  await assertRejected(checkModel(dir), "config", /config.json is missing/);
  await Deno.writeTextFile(join(dir, "config.json"), "{oops");
  await assertRejected(checkModel(dir), "config", /config.json is not valid JSON/);
  await Deno.writeTextFile(join(dir, "config.json"), "[]");
  await assertRejected(checkModel(dir), "config", /not a JSON object/);
});

Deno.test("checkModel() rejects a hostile safetensors header as a safetensors problem", async () => {
  const dir = await tempDir();
  await writeModelFiles(dir, { config: llamaDef.config, tensors: randomParameters(llamaDef.config, 1), dtype: "F32" });
  const bytes = await Deno.readFile(join(dir, "model.safetensors"));
  new DataView(bytes.buffer).setBigUint64(0, BigInt(bytes.length * 2), true);
  await Deno.writeFile(join(dir, "model.safetensors"), bytes);
  await assertRejected(checkModel(dir), "safetensors", /header length \d+ is longer than the file/);
});

Deno.test("checkModel() rejects NaN and Inf weights in F32, BF16 and F16, naming the tensor and element", async () => {
  for (const [dtype, value] of [["F32", NaN], ["BF16", Infinity], ["F16", -Infinity]] as const) {
    const dir = await tempDir();
    const tensors = randomParameters(gpt2Def.config, 9);
    tensors.find((t) => t.name === "transformer.h.1.mlp.c_fc.weight")!.data[77] = value;
    await writeModelFiles(dir, { config: gpt2Def.config, tensors, dtype });
    await assertRejected(
      checkModel(dir),
      "weights",
      /tensor "transformer.h.1.mlp.c_fc.weight" .* non-finite value at element 77/,
    );
    // The same file passes when the scan is switched off: the scan is what catches it.
    await checkModel(dir, { scanWeights: false });
  }
});

Deno.test("checkModel() accepts the largest finite values of each dtype", async () => {
  for (const [dtype, value] of [["F32", 3.4e38], ["BF16", 3.38e38], ["F16", 65504]] as const) {
    const dir = await tempDir();
    const tensors = randomParameters(gpt2Def.config, 9);
    tensors[0].data[0] = value;
    tensors[0].data[1] = -value;
    await writeModelFiles(dir, { config: gpt2Def.config, tensors, dtype });
    await checkModel(dir);
  }
});

Deno.test("checkModel() enforces parameter and byte limits", async () => {
  const dir = await tinyModel("llama-f32-untied");
  const { parameterCount } = await checkModel(dir);
  await assertRejected(
    checkModel(dir, { limits: { maxParameters: parameterCount - 1 } }),
    "limits",
    new RegExp(`${parameterCount} parameters exceeds the maximum`),
  );
  await assertRejected(
    checkModel(dir, { limits: { minParameters: parameterCount + 1 } }),
    "limits",
    /is below the minimum/,
  );
  await assertRejected(checkModel(dir, { limits: { maxBytes: 1000 } }), "limits", /over the cap 1000/);
  const ok = await checkModel(dir, { limits: { minParameters: parameterCount, maxParameters: parameterCount } });
  assert.equal(ok.parameterCount, parameterCount);
});

Deno.test("encodeSafetensors() pads the header to 8 bytes like the reference writer", () => {
  const bytes = encodeSafetensors([{ name: "x", shape: [1], data: new Float32Array(1) }]);
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
});
