/**
 * Retrying transient HTTP failures: 429, 5xx, timeouts and network errors, with exponential
 * backoff and full jitter, honouring `Retry-After` (seconds or an HTTP date) up to a cap.
 */

/** An HTTP failure with its status (0: no response); `transient` says whether a retry may succeed. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly transient: boolean, readonly retryAfterMs?: number) {
    super(message);
    this.name = "HttpError";
  }
}

/** Backoff settings; `sleep` and `random` are injectable for tests. */
export interface RetryOptions {
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Called before each wait with the attempt number, the delay and the error. */
  onRetry?: (attempt: number, delayMs: number, error: Error) => void;
}

/** Whether an error is worth retrying: a transient HttpError (callers wrap network failures as one). */
export function isTransient(e: unknown): boolean {
  return e instanceof HttpError && e.transient;
}

/** The delay `Retry-After` asks for, in ms, or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Runs `fn` until it succeeds, a non-transient error occurs, or attempts run out. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 5, base = options.baseDelayMs ?? 500, max = options.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  for (let attempt = 1;; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (!isTransient(e) || attempt >= attempts) throw e;
      const backoff = random() * Math.min(max, base * 2 ** (attempt - 1));
      const asked = e instanceof HttpError ? e.retryAfterMs : undefined;
      const delay = asked !== undefined ? Math.min(max, asked) : backoff;
      options.onRetry?.(attempt, delay, e as Error);
      await sleep(delay);
    }
  }
}
