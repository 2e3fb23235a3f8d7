/**
 * The evaluation engine: Hugging Face safetensors models (config.json + weights) checked from
 * their headers, compiled by us into ONNX graphs for an allow-list of architectures, and run with
 * ONNX Runtime to give each sequence's mean next-token loss (SN9 definition). No miner-supplied
 * code or graph ever runs.
 *
 * Path of a model: checkModel (files/: the reader and every header check) → createLossSession
 * (compileModel) → evaluateLosses / sanityCheck. An adapter (adapters/: PEFT LoRA and DoRA) is
 * checked against its checked base with checkAdapter and handed to createLossSession.
 */
export { ModelRejected, type RejectionCode } from "./rejected.ts";
export { formatReason, MAX_REASON_LENGTH, previewValue } from "./reason.ts";
export { type CheckedModel, checkModel, type CheckOptions } from "./model.ts";
export { writeDerivedModel } from "./derived_model.ts";
export {
  byteOrder,
  checkByteCap,
  checkModelFiles,
  CONFIG_FILE,
  FileRefused,
  type FilesChecked,
  fullModelFiles,
  type LocalModelFiles,
  localModelFiles,
  MAX_CONFIG_BYTES,
  MAX_TOTAL_HEADER_BYTES,
  type ModelFiles,
  type ModelLimits,
  OPTIONAL_MODEL_FILES,
  parseConfigJson,
  readIndexText,
} from "./files/mod.ts";
export { parseStrictJson } from "./strict_json.ts";
export { type DeclaredTensor, knownTensorNames, matchTensors, type TensorMatch } from "./tensor_match.ts";
export {
  type Architecture,
  ARCHITECTURES,
  embeddingNormalizer,
  findArchitecture,
  LIMITS,
  type LinearModule,
  type ModelSpec,
  SUPPORTED_ARCHITECTURES,
  type TensorSpec,
} from "./architectures/mod.ts";
export {
  assembleSafetensors,
  type Dtype,
  DTYPE_BYTES,
  INDEX_FILE,
  MAX_HEADER_BYTES,
  MAX_INDEX_BYTES,
  parseIndex,
  parseSafetensorsHeader,
  type SafetensorsHeader,
  SHARD_NAME,
  SINGLE_FILE,
  type TensorEntry,
  type TensorToWrite,
  toFloat32,
  type WeightRef,
  writeSafetensorsFile,
} from "./safetensors/mod.ts";
export {
  ADAPTER_CONFIG,
  ADAPTER_WEIGHTS,
  type AdapterChecked,
  type AdapterConfig,
  adapterKey,
  type AdapterLimits,
  checkAdapter,
  checkAdapterFiles,
  type CheckedAdapter,
  MAX_ADAPTER_RANK,
} from "./adapters/mod.ts";
export { type CompiledGraph, compileModel } from "./compile.ts";
export {
  createLossSession,
  createReplacingSession,
  defaultCompute,
  type Device,
  DEVICES,
  ENGINE_VERSION,
  type LossSession,
  type ReplacingSession,
  type SessionOptions,
} from "./session.ts";
export type { SparseValues } from "./sparse_update.ts";
export { type DeviceSpec, formatDeviceSpec, parseDeviceSpec } from "./device_spec.ts";
export type { ComputeType } from "./onnx/mod.ts";
export { evaluateLosses, type EvaluateOptions } from "./evaluate.ts";
export { GENERATED_TOKENS, PROMPT_TOKENS, sanityCheck, type SanityOptions, type SanityResult } from "./sanity.ts";
