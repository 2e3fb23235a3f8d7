/**
 * Every check of a PEFT LoRA adapter that needs no tensor bytes, against the base it adapts, for
 * a local directory and a remote revision alike (`ModelFiles`): adapter_config.json (bounded,
 * strict JSON, peft_config.ts) → the adapted modules, matched as PEFT matches `target_modules`
 * (peft/tuners/tuners_utils.py `check_target_module_exists`: the whole key, or a key ending in
 * `.{name}`; "all-linear" is every linear layer but the output head) → the competition's limits
 * → adapter_model.safetensors' header, each key and shape exactly as PEFT saves them
 * (peft/utils/save_and_load.py: the adapter name removed, DoRA's magnitude without `.weight`):
 *
 *   base_model.model.{module}.lora_A.weight        (r, in)
 *   base_model.model.{module}.lora_B.weight        (out, r)
 *   base_model.model.{module}.lora_magnitude_vector (out)     DoRA only
 *
 * Every broken rule is a `ModelRejected` naming the adapter, the file and the rule.
 */
import type { Architecture, LinearModule, ModelSpec } from "../architectures/spec.ts";
import { checkByteCap } from "../files/byte_cap.ts";
import { MAX_CONFIG_BYTES, readHeaderPrefix, rejectingPrimitives } from "../files/check_files.ts";
import { parseStrictJson } from "../strict_json.ts";
import type { ModelFiles } from "../files/model_files.ts";
import { previewValue } from "../reason.ts";
import { ModelRejected } from "../rejected.ts";
import { parseSafetensorsHeader, type SafetensorsHeader, type WeightRef } from "../safetensors/mod.ts";
import { type AdapterConfig, parseAdapterConfig } from "./peft_config.ts";

/** The adapter's two files: the hashed file set of an adapter. */
export const ADAPTER_CONFIG = "adapter_config.json", ADAPTER_WEIGHTS = "adapter_model.safetensors";
/** Largest adapter weights file: its tensors are inlined into the graph, whose protobuf stops at 2 GB. */
export const MAX_ADAPTER_BYTES = 1 << 30;

/** Limits an adapter competition imposes; all optional. */
export interface AdapterLimits {
  maxRank?: number;
  /** Module names (the last part of a key, as in `target_modules`) an adapter may adapt. */
  targetModules?: readonly string[];
  /** Whether DoRA adapters may enter (default true). */
  dora?: boolean;
  /** Cap on the adapter's two files together (files/byte_cap.ts: `checkByteCap`). */
  maxBytes?: number;
}

/** One adapted layer and its tensors in the adapter file. */
export interface AdaptedLayer {
  linear: LinearModule;
  a: WeightRef;
  b: WeightRef;
  magnitude?: WeightRef;
}

/** What the checks found. */
export interface AdapterChecked {
  config: AdapterConfig;
  /** Adapted module name → its layer and tensors, in the base's layer order. */
  layers: Map<string, AdaptedLayer>;
  header: SafetensorsHeader;
  /** Bytes of the two files together. */
  totalBytes: number;
  parameterCount: number;
}

/** The key of an adapter tensor. */
export const adapterKey = (module: string, part: "lora_A.weight" | "lora_B.weight" | "lora_magnitude_vector") =>
  `base_model.model.${module}.${part}`;

/** Runs the checks against the base `arch`/`spec`; throws `ModelRejected`. */
export async function checkAdapterFiles(
  files: ModelFiles,
  base: { arch: Architecture; spec: ModelSpec },
  limits: AdapterLimits = {},
): Promise<AdapterChecked> {
  const label = files.label;
  const { reject, sizeOf } = rejectingPrimitives(files);
  // adapter_config.json → the adapted layers → the limits, before the weights file is opened.
  const configSize = sizeOf(ADAPTER_CONFIG);
  if (configSize === undefined) throw new ModelRejected("config", `${label}: ${ADAPTER_CONFIG} is missing`);
  if (configSize > MAX_CONFIG_BYTES) {
    throw new ModelRejected("config", `${label}: ${ADAPTER_CONFIG} is ${configSize} bytes (limit ${MAX_CONFIG_BYTES})`);
  }
  let config: AdapterConfig, linears: LinearModule[];
  try {
    const text = new TextDecoder().decode(await files.read(ADAPTER_CONFIG, 0, configSize));
    const json = parseStrictJson(text, ADAPTER_CONFIG, 16);
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      throw new SyntaxError(`${ADAPTER_CONFIG} is not a JSON object`);
    }
    config = parseAdapterConfig(json as Record<string, unknown>);
    linears = adaptedLayers(config, base.arch.tensors(base.spec));
  } catch (e) {
    return reject("config", e);
  }
  checkLimits(label, config, linears, limits);

  const size = sizeOf(ADAPTER_WEIGHTS);
  if (size === undefined) {
    throw new ModelRejected(
      "files",
      `${label}: ${ADAPTER_WEIGHTS} is missing (a pickled adapter_model.bin is never loaded)`,
    );
  }
  // The adapter's two files are its whole hashed file set; whatever the competition's cap, the
  // weights file alone must also fit the graph (MAX_ADAPTER_BYTES), so the cap is the tighter one.
  const totalBytes = configSize + size;
  checkByteCap(label, totalBytes, Math.min(limits.maxBytes ?? Infinity, MAX_ADAPTER_BYTES + configSize), {
    files: "the adapter files",
  });

  // The header, each key and shape exactly as the config and the base imply.
  const expected = new Map<string, number[]>();
  for (const l of linears) {
    expected.set(adapterKey(l.module, "lora_A.weight"), [config.rank, l.inFeatures]);
    expected.set(adapterKey(l.module, "lora_B.weight"), [l.outFeatures, config.rank]);
    if (config.useDora) expected.set(adapterKey(l.module, "lora_magnitude_vector"), [l.outFeatures]);
  }
  let header: SafetensorsHeader;
  try {
    const prefix = await readHeaderPrefix(files, ADAPTER_WEIGHTS, { size });
    header = parseSafetensorsHeader(prefix, size, ADAPTER_WEIGHTS, { known: (name) => expected.has(name) });
  } catch (e) {
    return reject(/unexpected tensor/.test((e as Error).message) ? "tensors" : "safetensors", e);
  }
  const layers = new Map<string, AdaptedLayer>();
  let parameterCount = 0;
  const get = (key: string): WeightRef => {
    const t = header.tensors.get(key);
    if (!t) {
      throw new ModelRejected("tensors", `${label}: missing tensor "${key}" (required by ${ADAPTER_CONFIG})`);
    }
    const shape = expected.get(key)!;
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ModelRejected(
        "tensors",
        `${label}: tensor "${key}" has shape ${previewValue(t.shape)}; r = ${config.rank} and the base imply ${
          JSON.stringify(shape)
        }`,
      );
    }
    parameterCount += shape.reduce((a, b) => a * b, 1);
    return { ...t, fileName: ADAPTER_WEIGHTS };
  };
  for (const l of linears) {
    layers.set(l.module, {
      linear: l,
      a: get(adapterKey(l.module, "lora_A.weight")),
      b: get(adapterKey(l.module, "lora_B.weight")),
      magnitude: config.useDora ? get(adapterKey(l.module, "lora_magnitude_vector")) : undefined,
    });
  }
  return { config, layers, header, totalBytes, parameterCount };
}

/**
 * The linear layers the config adapts, in the base's order. An entry of `target_modules` that
 * names something other than a linear layer (a norm, an embedding, the output head, a block) is
 * refused, as PEFT refuses a module type it cannot wrap; so is a list that matches nothing.
 */
function adaptedLayers(
  config: AdapterConfig,
  tensors: readonly { name: string; linear?: LinearModule }[],
): LinearModule[] {
  const linears = tensors.flatMap((t) => (t.linear ? [t.linear] : []));
  const matches = (key: string, names: readonly string[]) =>
    names.includes(key) || names.some((n) => key.endsWith(`.${n}`));
  const excluded = (l: LinearModule) => matches(l.module, config.excludeModules);
  if (config.targetModules === "all-linear") return linears.filter((l) => !excluded(l));
  const targets = config.targetModules;
  const linearNames = new Set(linears.map((l) => l.module));
  const others = new Set<string>();
  for (const t of tensors) {
    const parts = t.name.split(".");
    for (let i = 1; i < parts.length; i++) {
      const module = parts.slice(0, i).join(".");
      if (!linearNames.has(module)) others.add(module);
    }
  }
  for (const name of targets) {
    const other = [...others].find((m) => matches(m, [name]));
    if (other) {
      throw new RangeError(
        `${ADAPTER_CONFIG}: target_modules entry ${previewValue(name)} names "${other}", which is not a linear layer ` +
          "of the base (only its linear layers, not the output head, are adapted)",
      );
    }
  }
  const chosen = linears.filter((l) => matches(l.module, targets) && !excluded(l));
  if (chosen.length === 0) {
    throw new RangeError(
      `${ADAPTER_CONFIG}: target_modules ${previewValue(targets)} matches no linear layer of the base`,
    );
  }
  return chosen;
}

function checkLimits(label: string, config: AdapterConfig, linears: LinearModule[], limits: AdapterLimits): void {
  const refuse = (message: string) => new ModelRejected("limits", `${label}: ${message}`);
  if (limits.maxRank !== undefined && config.rank > limits.maxRank) {
    throw refuse(`r = ${config.rank} exceeds the competition's maximum rank ${limits.maxRank}`);
  }
  if (config.useDora && limits.dora === false) {
    throw refuse("use_dora = true, and this competition does not allow DoRA");
  }
  if (limits.targetModules) {
    const outside = linears.find((l) => !limits.targetModules!.includes(l.module.split(".").at(-1)!));
    if (outside) {
      throw refuse(
        `adapts "${outside.module}"; this competition allows ${limits.targetModules.join(", ")}`,
      );
    }
  }
  // PEFT sets fan_in_fan_out from the layer type (True for Conv1D) and saves the value it used.
  const conv1d = linears.some((l) => l.layout === "in_out");
  if (config.fanInFanOut !== conv1d) {
    throw new ModelRejected(
      "config",
      `${label}: ${ADAPTER_CONFIG}: fan_in_fan_out = ${config.fanInFanOut}, but the base's layers store weights ${
        conv1d ? "(in, out) (Conv1D): PEFT saves true" : "(out, in) (nn.Linear): PEFT saves false"
      }`,
    );
  }
}
