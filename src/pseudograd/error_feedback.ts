/**
 * What a miner sends each window (docs/pseudograd.md, "Error feedback"; Templar `neurons.py` `prepare_gradient_dict`):
 * the pseudo-gradient Δ = θ_base − θ_trained joins an error-feedback buffer, e ← β·e + lr·Δ
 * (β 0.95, lr 1.0), the buffer is compressed, and what the compressed form stands for is taken
 * out of it, e ← e − decode(compress(e)), so the part not sent this window is sent later.
 */
import { compressParameter } from "./codec.ts";
import { denseUpdate } from "./decode.ts";
import type { SubmissionLayout } from "./layout.ts";
import type { WireParameter } from "./submission.ts";

/** Error-feedback settings (Templar HEAD: β 0.95, lr 1.0). */
export interface FeedbackSettings {
  beta: number;
  lr: number;
}

export const TEMPLAR_FEEDBACK: FeedbackSettings = { beta: 0.95, lr: 1.0 };

/** One window's compression: the wire parameters and the buffer to keep for the next window. */
export interface FeedbackStep {
  parameters: Map<string, WireParameter>;
  /** The error-feedback buffer after this window, by parameter name (float32, row-major). */
  buffer: Map<string, Float32Array>;
}

/** Options for `compressWithFeedback`: the settings, and a call after each parameter (compression takes a while). */
export interface FeedbackOptions extends Partial<FeedbackSettings> {
  onParameter?: (done: number, total: number, name: string) => void;
}

/**
 * Compresses `delta` (θ_base − θ_trained, by parameter name) with error feedback from `buffer`
 * (empty for a miner's first window).
 */
export function compressWithFeedback(
  layout: SubmissionLayout,
  delta: ReadonlyMap<string, Float32Array>,
  buffer: ReadonlyMap<string, Float32Array>,
  o: FeedbackOptions = {},
): FeedbackStep {
  const settings: FeedbackSettings = { beta: o.beta ?? TEMPLAR_FEEDBACK.beta, lr: o.lr ?? TEMPLAR_FEEDBACK.lr };
  const parameters = new Map<string, WireParameter>(), next = new Map<string, Float32Array>();
  for (const [i, p] of layout.parameters.entries()) {
    const d = delta.get(p.name);
    if (!d) throw new RangeError(`no pseudo-gradient for parameter "${p.name}"`);
    const e = buffer.get(p.name) ?? new Float32Array(d.length);
    if (d.length !== e.length) {
      throw new RangeError(`parameter "${p.name}": the buffer holds ${e.length} values, the model ${d.length}`);
    }
    const acc = Float32Array.from(d, (x, i) => settings.beta * e[i] + settings.lr * x);
    const c = compressParameter(acc, p.geometry.shape, layout.codec);
    const sent = denseUpdate(p, c);
    parameters.set(p.name, c);
    next.set(p.name, Float32Array.from(acc, (x, i) => x - sent[i]));
    o.onParameter?.(i + 1, layout.parameters.length, p.name);
  }
  return { parameters, buffer: next };
}
