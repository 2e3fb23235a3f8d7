/**
 * Hostile and unsupported adapters are refused with the rule they break, before any graph is
 * built: wrong keys and shapes, a rank over the cap, options that change the math (PEFT LoraConfig
 * fields: peft/tuners/lora/config.py), targets that are not linear layers, pickled weights and
 * non-finite values.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type AdapterLimits, checkAdapter, checkModel, ModelRejected } from "../../eval/mod.ts";
import {
  adapterConfigJson,
  type AdapterOptions,
  randomAdapterTensors,
  type TensorData,
  writeAdapter,
} from "../../fixtures/mod.ts";
import { tinyModel } from "../helpers/models.ts";
import { tempDir } from "../helpers/temp.ts";

const BASE = "llama-f32-untied";
const OPTIONS: AdapterOptions = { rank: 4, alpha: 8, targets: ["q_proj", "v_proj"], seed: 2 };

interface Case {
  name: string;
  config?: (c: Record<string, any>) => void;
  tensors?: (t: TensorData[]) => TensorData[];
  /** Replaces the written files after the fact. */
  files?: (dir: string) => Promise<void>;
  limits?: AdapterLimits;
  options?: Partial<AdapterOptions>;
  base?: string;
  code: string;
  reason: RegExp;
}

const CASES: Case[] = [
  {
    name: "a key for a layer the config does not target",
    tensors: (t) => [...t, { ...t[0], name: t[0].name.replace("q_proj", "k_proj") }],
    code: "tensors",
    reason: /unexpected tensor "base_model\.model\.model\.layers\.0\.self_attn\.k_proj\.lora_A\.weight"/,
  },
  {
    name: "a missing lora_B",
    tensors: (t) => t.filter((x) => !x.name.endsWith("layers.1.self_attn.v_proj.lora_B.weight")),
    code: "tensors",
    reason: /missing tensor "base_model\.model\.model\.layers\.1\.self_attn\.v_proj\.lora_B\.weight"/,
  },
  {
    name: "lora_A of another rank",
    tensors: (t) =>
      t.map((x, i) => (i === 0 ? { ...x, shape: [2, x.shape[1]], data: x.data.slice(0, 2 * x.shape[1]) } : x)),
    code: "tensors",
    reason: /lora_A\.weight" has shape \[2,32\]; r = 4 and the base imply \[4,32\]/,
  },
  {
    name: "lora_B transposed",
    tensors: (t) => t.map((x) => (x.name.endsWith("lora_B.weight") ? { ...x, shape: [x.shape[1], x.shape[0]] } : x)),
    code: "tensors",
    reason: /lora_B\.weight" has shape \[4,32\]; r = 4 and the base imply \[32,4\]/,
  },
  {
    name: "a rank over the cap",
    limits: { maxRank: 2 },
    code: "limits",
    reason: /r = 4 exceeds the competition's maximum rank 2/,
  },
  {
    name: "DoRA where it is not allowed",
    options: { dora: true },
    limits: { dora: false },
    code: "limits",
    reason: /use_dora = true, and this competition does not allow DoRA/,
  },
  {
    name: "a module outside the allowed targets",
    limits: { targetModules: ["q_proj", "k_proj"] },
    code: "limits",
    reason: /adapts "model\.layers\.0\.self_attn\.v_proj"; this competition allows q_proj, k_proj/,
  },
  {
    name: "files over the byte cap",
    limits: { maxBytes: 1000 },
    code: "limits",
    reason: /the adapter files total \d+ bytes, over the cap 1000/,
  },
  {
    name: "a DoRA adapter without its magnitudes",
    options: { dora: true },
    tensors: (t) => t.filter((x) => !x.name.endsWith("lora_magnitude_vector")),
    code: "tensors",
    reason: /missing tensor "base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_magnitude_vector"/,
  },
  {
    name: "modules_to_save",
    config: (c) => (c.modules_to_save = ["lm_head"]),
    code: "config",
    reason: /modules_to_save is not supported \(it replaces whole base modules\)/,
  },
  {
    name: "trained biases",
    config: (c) => (c.bias = "all"),
    code: "config",
    reason: /bias = "all": only "none" is read/,
  },
  {
    name: "a rank pattern",
    config: (c) => (c.rank_pattern = { q_proj: 8 }),
    code: "config",
    reason: /rank_pattern is not supported \(one rank for every module\)/,
  },
  {
    name: "a regex target",
    config: (c) => (c.target_modules = ".*proj"),
    code: "config",
    reason: /target_modules = "\.\*proj": a regular expression is not read/,
  },
  {
    name: "an unknown field",
    config: (c) => (c.lora_scale_hack = 3),
    code: "config",
    reason: /"lora_scale_hack" is not a LoRA field this reader knows/,
  },
  {
    name: "another PEFT method",
    config: (c) => (c.peft_type = "IA3"),
    code: "config",
    reason: /peft_type = "IA3": only "LORA" is read/,
  },
  {
    name: "PiSSA initialisation left unconverted",
    config: (c) => (c.init_lora_weights = "pissa"),
    code: "config",
    reason: /init_lora_weights = "pissa" rewrites the base weights/,
  },
  {
    name: "a norm as a target",
    config: (c) => (c.target_modules = ["q_proj", "input_layernorm"]),
    code: "config",
    reason: /"input_layernorm" names "model\.layers\.0\.input_layernorm", which is not a linear layer/,
  },
  {
    name: "the output head as a target",
    config: (c) => (c.target_modules = ["lm_head"]),
    code: "config",
    reason: /"lm_head" names "lm_head", which is not a linear layer/,
  },
  {
    name: "targets matching nothing",
    config: (c) => (c.target_modules = ["query_key_value"]),
    code: "config",
    reason: /matches no linear layer of the base/,
  },
  {
    name: "fan_in_fan_out on nn.Linear",
    config: (c) => (c.fan_in_fan_out = true),
    code: "config",
    reason: /fan_in_fan_out = true, but the base's layers store weights \(out, in\)/,
  },
  {
    name: "a zero rank",
    config: (c) => (c.r = 0),
    code: "config",
    reason: /r must be an integer in \[1, 4096\], got 0/,
  },
  {
    name: "a negative alpha",
    config: (c) => (c.lora_alpha = -8),
    code: "config",
    reason: /lora_alpha must be a finite positive number, got -8/,
  },
  {
    name: "a repeated key in adapter_config.json",
    files: async (dir) => {
      const text = await Deno.readTextFile(join(dir, "adapter_config.json"));
      await Deno.writeTextFile(join(dir, "adapter_config.json"), text.replace('"r": 4,', '"r": 4, "r": 64,'));
    },
    code: "config",
    reason: /adapter_config\.json: the key "r" appears twice in one object/,
  },
  {
    name: "pickled weights only",
    files: async (dir) => {
      await Deno.rename(join(dir, "adapter_model.safetensors"), join(dir, "adapter_model.bin"));
    },
    code: "files",
    reason: /adapter_model\.safetensors is missing \(a pickled adapter_model\.bin is never loaded\)/,
  },
  {
    name: "a link out of the adapter directory",
    files: async (dir) => {
      await Deno.remove(join(dir, "adapter_model.safetensors"));
      await Deno.symlink("/etc/hostname", join(dir, "adapter_model.safetensors"));
    },
    code: "files",
    reason: /adapter_model\.safetensors is a link that leads outside the model directory/,
  },
  {
    name: "a FIFO as adapter_config.json",
    files: async (dir) => {
      await Deno.remove(join(dir, "adapter_config.json"));
      await new Deno.Command("mkfifo", { args: [join(dir, "adapter_config.json")] }).output();
    },
    code: "files",
    reason: /adapter_config\.json is a FIFO, not a regular file/,
  },
  {
    name: "a header that claims more bytes than the file",
    files: async (dir) => {
      const path = join(dir, "adapter_model.safetensors");
      const bytes = await Deno.readFile(path);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(bytes.length + 64), true);
      await Deno.writeFile(path, bytes);
    },
    code: "safetensors",
    reason: /header length \d+ is longer than the file/,
  },
  {
    name: "a NaN in lora_A",
    tensors: (t) => t.map((x, i) => (i === 2 ? { ...x, data: x.data.map((v, j) => (j === 5 ? NaN : v)) } : x)),
    code: "weights",
    reason:
      /tensor "base_model\.model\.model\.layers\.0\.self_attn\.v_proj\.lora_A\.weight" .* non-finite value at element 5/,
  },
];

for (const c of CASES) {
  Deno.test(`adapter refused: ${c.name}`, async () => {
    const base = await tinyModel(c.base ?? BASE);
    const baseConfig = JSON.parse(await Deno.readTextFile(join(base, "config.json")));
    const o = { ...OPTIONS, ...c.options };
    const config = adapterConfigJson(baseConfig, o);
    c.config?.(config);
    let tensors = randomAdapterTensors(baseConfig, o);
    if (c.tensors) tensors = c.tensors(tensors);
    const dir = join(await tempDir(), "adapter");
    await writeAdapter(dir, { config, tensors });
    await c.files?.(dir);
    const err = await checkAdapter(dir, await checkModel(base), { limits: c.limits }).then(() => null, (e) => e);
    assert.ok(err instanceof ModelRejected, `expected a rejection, got ${err}`);
    assert.equal(err.code, c.code, err.message);
    assert.match(err.message, c.reason);
    assert.ok(!err.message.includes("\n"), "one line");
  });
}

Deno.test("a well-formed adapter passes the same checks (the cases above fail for their own reason)", async () => {
  const base = await tinyModel(BASE);
  const baseConfig = JSON.parse(await Deno.readTextFile(join(base, "config.json")));
  const dir = join(await tempDir(), "adapter");
  await writeAdapter(dir, {
    config: adapterConfigJson(baseConfig, OPTIONS),
    tensors: randomAdapterTensors(baseConfig, OPTIONS),
  });
  const a = await checkAdapter(dir, await checkModel(base), {
    limits: { maxRank: 4, targetModules: ["q_proj", "v_proj"], dora: false, maxBytes: 1e6 },
  });
  assert.deepEqual([...a.layers.keys()], [
    "model.layers.0.self_attn.q_proj",
    "model.layers.0.self_attn.v_proj",
    "model.layers.1.self_attn.q_proj",
    "model.layers.1.self_attn.v_proj",
  ]);
  assert.equal(a.config.scaling, 2);
});

Deno.test("exclude_modules (list form) is honoured as PEFT matches it: excluded layers carry no tensors", async () => {
  const base = await tinyModel(BASE);
  const baseConfig = JSON.parse(await Deno.readTextFile(join(base, "config.json")));
  const o = { ...OPTIONS, targets: "all-linear" as const };
  const config = { ...adapterConfigJson(baseConfig, o), exclude_modules: ["v_proj", "model.layers.1.mlp.down_proj"] };
  const tensors = randomAdapterTensors(baseConfig, o).filter((t) =>
    !/\.v_proj\./.test(t.name) && !t.name.includes("layers.1.mlp.down_proj")
  );
  const dir = join(await tempDir(), "adapter");
  await writeAdapter(dir, { config, tensors });
  const a = await checkAdapter(dir, await checkModel(base));
  assert.equal(a.layers.size, 2 * 7 - 2 - 1);
  assert.ok(![...a.layers.keys()].some((m) => m.endsWith("v_proj")));
  // The excluded layers' tensors, if present, are refused as unknown.
  await writeAdapter(dir, { config, tensors: randomAdapterTensors(baseConfig, o) });
  const err = await checkModel(base).then((m) => checkAdapter(dir, m)).then(() => null, (e) => e);
  assert.ok(err instanceof ModelRejected && err.code === "tensors", String(err));
  assert.match(err.message, /unexpected tensor ".*v_proj\.lora_A\.weight"/);
});
