/** The allow-list of architectures the engine compiles, and lookup by `config.json` name. */
import { bart } from "./bart.ts";
import { falcon } from "./falcon.ts";
import { gemma } from "./gemma.ts";
import { gpt2 } from "./gpt2.ts";
import { gptNeoX } from "./gpt_neox.ts";
import { gptj } from "./gptj.ts";
import { llama } from "./llama.ts";
import { phi } from "./phi.ts";
import { phi3 } from "./phi3.ts";
import type { Architecture } from "./spec.ts";

export type { Architecture, LinearModule, LoraSource, ModelSpec, TensorSpec, WeightSource } from "./spec.ts";
export type { GraphContext } from "./graph_context.ts";
export { LIMITS } from "./spec.ts";
export type { Gpt2Spec } from "./gpt2.ts";
export type { LlamaSpec } from "./llama.ts";
export { embeddingNormalizer, type GemmaSpec } from "./gemma.ts";
export type { Phi3Spec } from "./phi3.ts";
export type { GptNeoXSpec } from "./gpt_neox.ts";
export type { PhiSpec } from "./phi.ts";
export type { GptjSpec } from "./gptj.ts";
export type { FalconSpec } from "./falcon.ts";
export type { BartSpec } from "./bart.ts";
export { bart, falcon, gemma, gpt2, gptj, gptNeoX, llama, phi, phi3 };

/** Every supported architecture module. */
export const ARCHITECTURES: readonly Architecture[] = [
  gpt2,
  llama,
  gemma,
  phi,
  phi3,
  gptNeoX,
  gptj,
  falcon,
  bart,
] as Architecture[];

/** The names accepted in `config.json`'s `architectures` field. */
export const SUPPORTED_ARCHITECTURES: readonly string[] = ARCHITECTURES.flatMap((a) => a.names);

/** The module for an architecture name, or undefined when it is not allowed. */
export function findArchitecture(name: string): Architecture | undefined {
  return ARCHITECTURES.find((a) => a.names.includes(name));
}
