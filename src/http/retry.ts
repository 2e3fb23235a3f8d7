/**
 * Retrying transient HTTP failures. A wait the server asked for (see rate_limit.ts) is honoured
 * up to `maxToldWaitMs`; otherwise exponential backoff with full jitter. Each wait is logged with
 * how long and why, so an operator sees a rate limit rather than a silent pause.
 */
import { HttpError, isTransient } from "./http_error.ts";

/** Backoff settings; `sleep` and `random` are injectable for tests. */
export interface RetryOptions {
  /** Attempts in all, the first included (default 5). */
  attempts?: number;
  baseDelayMs?: number;
  /** Cap on a backoff delay (default 30 s). */
  maxDelayMs?: number;
  /** Cap on a single wait the server asked for (default 300 s, the Hub's rate-limit window). */
  maxToldWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Receives one line per wait: what failed, how long the wait is and why. */
  log?: (line: string) => void;
  /**
   * Checked after a failure: true means the attempt made progress (a transfer moved bytes), so
   * the attempts start afresh, as huggingface_hub's `http_get` does for a resumed download.
   */
  resetWhen?: () => boolean;
}

/** The default cap on a wait a server asks for: the Hub's 5-minute rate-limit window. */
export const DEFAULT_MAX_TOLD_WAIT_MS = 300_000;

/** Runs `fn` until it succeeds, a non-transient error occurs, or attempts run out. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 5, base = options.baseDelayMs ?? 500, max = options.maxDelayMs ?? 30_000;
  const maxTold = options.maxToldWaitMs ?? DEFAULT_MAX_TOLD_WAIT_MS;
  const sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  for (let attempt = 1;; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (isTransient(e) && options.resetWhen?.()) attempt = 1;
      if (!isTransient(e) || attempt >= attempts) throw e;
      const told = (e as HttpError).waitMs;
      let delay: number, why: string;
      if (told !== undefined) {
        delay = Math.min(told, maxTold);
        why = told > maxTold
          ? `the server asked for ${seconds(told)} s, capped at ${seconds(maxTold)} s`
          : `the server asked for ${seconds(told)} s`;
      } else {
        delay = random() * Math.min(max, base * 2 ** (attempt - 1));
        why = "backoff";
      }
      options.log?.(
        `${(e as Error).message.split("\n")[0].slice(0, 200)}; waiting ${seconds(delay)} s (${why}) ` +
          `before attempt ${attempt + 1} of ${attempts}`,
      );
      await sleep(delay);
    }
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(ms < 10_000 ? 1 : 0);
}
