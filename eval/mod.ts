/**
 * The evaluation engine: Hugging Face safetensors models (config.json + weights) checked from
 * their headers, compiled by us into ONNX graphs for an allow-list of architectures, and run with
 * ONNX Runtime to give each sequence's mean next-token loss (SN9 definition). No miner-supplied
 * code or graph ever runs.
 *
 * Path of a model: checkModel → createLossSession (compileModel) → evaluateLosses / sanityCheck.
 */
export { ModelRejected, type RejectionCode } from "./rejected.ts";
export { formatReason, MAX_REASON_LENGTH } from "./reason.ts";
export {
  type CheckedModel,
  checkModel,
  checkModelHeaders,
  type CheckOptions,
  type DeclaredModel,
  MAX_CONFIG_BYTES,
  type ModelLimits,
  parseConfigJson,
} from "./model.ts";
export { type DeclaredTensor, matchTensors, type TensorMatch } from "./tensor_match.ts";
export {
  type Architecture,
  ARCHITECTURES,
  findArchitecture,
  LIMITS,
  type ModelSpec,
  SUPPORTED_ARCHITECTURES,
  type TensorSpec,
} from "./architectures/mod.ts";
export {
  type Dtype,
  DTYPE_BYTES,
  MAX_HEADER_BYTES,
  parseSafetensorsHeader,
  readModelWeights,
  readSafetensorsHeader,
  type SafetensorsHeader,
  type TensorEntry,
  type WeightRef,
} from "./safetensors/mod.ts";
export { type CompiledGraph, compileModel } from "./compile.ts";
export { createLossSession, type Device, DEVICES, type LossSession, type SessionOptions } from "./session.ts";
export { evaluateLosses, type EvaluateOptions } from "./evaluate.ts";
export { GENERATED_TOKENS, PROMPT_TOKENS, sanityCheck, type SanityResult } from "./sanity.ts";
