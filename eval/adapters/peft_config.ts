/**
 * `adapter_config.json` of a PEFT LoRA adapter, read strictly: every field PEFT's `LoraConfig`
 * (peft/tuners/lora/config.py, and `PeftConfig` in peft/config.py) may write is either honoured,
 * required to hold its neutral value, or known to have no effect on an evaluation; any other
 * field is refused by name, since it may change the math.
 *
 * The scaling is PEFT's `LoraLayer.update_layer`: `lora_alpha / r`, or `lora_alpha / √r` with
 * `use_rslora`.
 */
import { previewValue } from "../reason.ts";

/** What the engine needs from an adapter's config. */
export interface AdapterConfig {
  rank: number;
  alpha: number;
  useRslora: boolean;
  useDora: boolean;
  fanInFanOut: boolean;
  /** "all-linear", or module names matched as PEFT does (the whole key, or its last dotted parts). */
  targetModules: "all-linear" | string[];
  /** Module names never adapted (PEFT `exclude_modules`, list form). */
  excludeModules: string[];
  /** s in W x + s · B(A x). */
  scaling: number;
  /** Informational: the base the adapter says it was trained on. */
  baseModel: string | null;
}

/** Largest rank read at all (a competition sets its own, lower cap). */
export const MAX_ADAPTER_RANK = 4096;
/** Most entries in `target_modules` / `exclude_modules`, and longest entry. */
const MAX_MODULE_NAMES = 256, MAX_MODULE_NAME = 200;

/** Why a value breaks a field's rule, or null when it is fine. */
type Rule = (v: unknown) => string | null;

const isEmpty = (v: unknown) =>
  v === null || v === undefined || v === false || v === "" ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
/** A field that changes the math unless empty: only its neutral value is accepted. */
const neutral = (why: string): Rule => (v) => isEmpty(v) ? null : `is not supported (${why}); it must be empty or null`;
/** A field with no effect on evaluation (metadata, training-time or runtime settings). */
const noEffect: Rule = () => null;

/** Fields handled apart from the table (they carry the math). */
const READ = new Set(["peft_type", "r", "lora_alpha", "use_rslora", "use_dora", "fan_in_fan_out", "target_modules"]);
/** Initialisations that leave the base weights as they are (the others rewrite them). */
const INITS = [true, false, "gaussian", "eva", "orthogonal"];

const FIELDS: Record<string, Rule> = {
  bias: (v) =>
    v === undefined || v === null || v === "none"
      ? null
      : `= ${previewValue(v)}: only "none" is read (trained biases change the pinned base)`,
  exclude_modules: (v) =>
    v == null || (Array.isArray(v) && v.every((x) => typeof x === "string"))
      ? null
      : "must be a list of module names (a regular expression is not read)",
  init_lora_weights: (v) =>
    v === undefined || INITS.includes(v as string | boolean)
      ? null
      : `= ${
        previewValue(v)
      } rewrites the base weights at initialisation; convert the adapter to plain LoRA before publishing`,
  lora_dropout: (v) => v == null || (typeof v === "number" && v >= 0 && v <= 1) ? null : "must be a number in [0, 1]",
  lora_bias: (v) => v == null || v === false ? null : "= true is not supported (a bias on lora_B)",
  use_qalora: (v) => v == null || v === false ? null : "= true is not supported (QA-LoRA pools the input)",
  modules_to_save: neutral("it replaces whole base modules"),
  layers_to_transform: neutral("list every adapted module in target_modules instead"),
  layers_pattern: neutral("it only serves layers_to_transform"),
  rank_pattern: neutral("one rank for every module"),
  alpha_pattern: neutral("one lora_alpha for every module"),
  megatron_config: neutral("Megatron layers"),
  trainable_token_indices: neutral("it trains embedding rows"),
  loftq_config: neutral("LoftQ rewrites the base weights"),
  layer_replication: neutral("it changes the base's layers"),
  target_parameters: neutral("adapters on parameters, not modules"),
  alora_invocation_tokens: neutral("activated LoRA applies per token"),
  velora_config: neutral("VeLoRA"),
  monteclora_config: neutral("MonteCLoRA"),
  use_bdlora: neutral("block-diagonal LoRA"),
  arrow_config: neutral("Arrow routing"),
  kasa_config: neutral("KaSA"),
  // Initialisation, training-time or runtime settings, and metadata: no effect on the math.
  eva_config: noEffect,
  corda_config: noEffect,
  lora_ga_config: noEffect,
  qalora_group_size: noEffect,
  megatron_core: noEffect,
  runtime_config: noEffect,
  ensure_weight_tying: noEffect,
  task_type: noEffect,
  base_model_name_or_path: noEffect,
  revision: noEffect,
  inference_mode: noEffect,
  peft_version: noEffect,
  auto_mapping: noEffect,
};

/** Reads a parsed adapter_config.json; throws `RangeError`/`TypeError` naming the field. */
export function parseAdapterConfig(raw: Record<string, unknown>): AdapterConfig {
  const fail = (key: string, message: string) => new RangeError(`adapter_config.json: ${key} ${message}`);
  for (const [key, value] of Object.entries(raw)) {
    if (READ.has(key)) continue;
    const rule = FIELDS[key];
    if (!rule) throw fail(previewValue(key), "is not a LoRA field this reader knows; it may change the math");
    const why = rule(value);
    if (why) throw fail(key, why);
  }
  if (raw.peft_type !== "LORA") throw fail("peft_type", `= ${previewValue(raw.peft_type)}: only "LORA" is read`);
  const rank = raw.r;
  if (typeof rank !== "number" || !Number.isSafeInteger(rank) || rank < 1 || rank > MAX_ADAPTER_RANK) {
    throw fail("r", `must be an integer in [1, ${MAX_ADAPTER_RANK}], got ${previewValue(rank)}`);
  }
  const alpha = raw.lora_alpha ?? 8; // LoraConfig's default
  if (typeof alpha !== "number" || !Number.isFinite(alpha) || alpha <= 0) {
    throw fail("lora_alpha", `must be a finite positive number, got ${previewValue(alpha)}`);
  }
  const bool = (key: string) => {
    const v = raw[key] ?? false;
    if (typeof v !== "boolean") throw fail(key, `must be true or false, got ${previewValue(v)}`);
    return v;
  };
  const useRslora = bool("use_rslora"), useDora = bool("use_dora"), fanInFanOut = bool("fan_in_fan_out");
  return {
    rank,
    alpha,
    useRslora,
    useDora,
    fanInFanOut,
    targetModules: readTargets(raw.target_modules, fail),
    excludeModules: readNames(raw.exclude_modules ?? [], "exclude_modules", fail),
    scaling: useRslora ? alpha / Math.sqrt(rank) : alpha / rank,
    baseModel: typeof raw.base_model_name_or_path === "string" ? raw.base_model_name_or_path : null,
  };
}

function readTargets(v: unknown, fail: (key: string, message: string) => RangeError): "all-linear" | string[] {
  if (typeof v === "string") {
    if (v.toLowerCase() === "all-linear") return "all-linear";
    throw fail("target_modules", `= ${previewValue(v)}: a regular expression is not read; list the module names`);
  }
  const names = readNames(v, "target_modules", fail);
  if (names.length === 0) throw fail("target_modules", "is empty");
  return names;
}

function readNames(v: unknown, key: string, fail: (key: string, message: string) => RangeError): string[] {
  if (
    !Array.isArray(v) || v.length > MAX_MODULE_NAMES ||
    !v.every((x) => typeof x === "string" && x.length > 0 && x.length <= MAX_MODULE_NAME)
  ) {
    throw fail(key, `must be a list of at most ${MAX_MODULE_NAMES} module names, got ${previewValue(v)}`);
  }
  return v as string[];
}
