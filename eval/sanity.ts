/**
 * SN9's defence against degenerate models: greedily continue two different prompts by 20 tokens
 * each; a model fails if the continuations agree in ≥ 10 of the 20 positions, or if both repeat a
 * single token more than 10 times. Runs on the same session as the loss.
 */
import type { LossSession } from "./session.ts";

/** The check's outcome, with the continuations for the record. */
export interface SanityResult {
  ok: boolean;
  reason?: string;
  continuations: [number[], number[]];
}

/** Prompt length and continuation length used by SN9. */
export const PROMPT_TOKENS = 100, GENERATED_TOKENS = 20;

/** What the check needs to know of the model beyond its session. */
export interface SanityOptions {
  /**
   * SN9 generates with `min_new_tokens = 20`, which forbids this token during those steps, so it
   * is skipped here too.
   */
  eosTokenId?: number;
  /** The session's longest sequence: prompts shrink so prompt + 20 generated tokens fit. */
  maxLength?: number;
}

/** Runs the check on two prompts (each cut to its first 100 tokens). */
export async function sanityCheck(
  session: LossSession,
  [promptA, promptB]: [ArrayLike<number>, ArrayLike<number>],
  o: SanityOptions = {},
): Promise<SanityResult> {
  const { eosTokenId, maxLength = PROMPT_TOKENS + GENERATED_TOKENS } = o;
  const promptTokens = Math.min(PROMPT_TOKENS, maxLength - GENERATED_TOKENS);
  const a = Array.from(promptA).slice(0, promptTokens), b = Array.from(promptB).slice(0, promptTokens);
  if (a.length !== b.length || a.length < 2) {
    throw new RangeError(`sanity check needs two prompts of equal length ≥ 2, got ${a.length} and ${b.length}`);
  }
  const genA: number[] = [], genB: number[] = [];
  for (let i = 0; i < GENERATED_TOKENS; i++) {
    const { nextTokens } = await session.run([[...a, ...genA], [...b, ...genB]]);
    const pick = ([best, second]: [number, number]) => best === eosTokenId ? second : best;
    genA.push(pick(nextTokens[0]));
    genB.push(pick(nextTokens[1]));
  }
  const continuations: [number[], number[]] = [genA, genB];
  const same = genA.filter((t, i) => t === genB[i]).length;
  if (same >= GENERATED_TOKENS / 2) {
    return {
      ok: false,
      reason: `continuations of different prompts agree in ${same} of ${GENERATED_TOKENS} positions`,
      continuations,
    };
  }
  const repeats = (g: number[]) => Math.max(...g.map((t) => g.filter((u) => u === t).length));
  if (repeats(genA) > GENERATED_TOKENS / 2 && repeats(genB) > GENERATED_TOKENS / 2) {
    return {
      ok: false,
      reason: `both continuations repeat one token more than ${GENERATED_TOKENS / 2} times`,
      continuations,
    };
  }
  return { ok: true, continuations };
}
