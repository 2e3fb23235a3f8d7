/** The one error callers catch from the engine: a miner's model broke a rule. */

/** Which rule a rejected model broke. */
export type RejectionCode =
  | "files" // a file missing, not a regular file, or a link leading outside the model
  | "config" // config.json missing, malformed, or with unsupported/absurd values
  | "architecture" // not on the allow-list
  | "safetensors" // a header that lies or cannot be parsed
  | "tensors" // missing, unknown or mis-shaped tensors
  | "limits" // parameters or bytes outside the competition's range
  | "weights" // non-finite weight values
  | "runtime" // ONNX Runtime refused or failed on the model
  | "degenerate"; // failed the greedy-generation sanity check

/** A model rejected for a stated reason; `message` names the model, the file and the rule. */
export class ModelRejected extends Error {
  constructor(readonly code: RejectionCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ModelRejected";
  }
}

/** Runs `fn`, turning any error it throws into a `ModelRejected` with `code` (kept if already one). */
export async function rejectAs<T>(code: RejectionCode, model: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ModelRejected) throw e;
    throw new ModelRejected(code, `${model}: ${(e as Error).message}`, { cause: e });
  }
}
