/** The one error the HTTP edge throws for a failed request, whatever the service. */

/** Details of a failed request. */
export interface HttpErrorOptions {
  /** Whether another attempt may succeed (429, 5xx, timeouts, dropped connections). */
  transient: boolean;
  /** How long the server asked the client to wait before another attempt, in ms. */
  waitMs?: number;
  /** The service's machine-readable error code (the `X-Error-Code` header), when it sent one. */
  code?: string;
  cause?: unknown;
}

/** An HTTP failure with its status (0: no response came). */
export class HttpError extends Error {
  readonly transient: boolean;
  readonly waitMs?: number;
  readonly code?: string;

  constructor(readonly status: number, message: string, options: HttpErrorOptions) {
    super(message, { cause: options.cause });
    this.name = "HttpError";
    this.transient = options.transient;
    this.waitMs = options.waitMs;
    this.code = options.code;
  }
}

/** Whether an error is worth another attempt: a transient `HttpError`. */
export function isTransient(e: unknown): boolean {
  return e instanceof HttpError && e.transient;
}

/** Whether an error is the stall guard's (or an abort signal's) timeout. */
export function isTimeout(e: unknown): boolean {
  return e instanceof DOMException && e.name === "TimeoutError";
}

/**
 * Turns what a failed `fetch` or body read threw into a transient `HttpError`: connection
 * refused or reset, a stall, a body cut off. `what` names the request ("GET /rows (falcon)").
 */
export function networkError(what: string, e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  const reason = isTimeout(e) ? (e as Error).message : `failed: ${(e as Error)?.message ?? String(e)}`;
  return new HttpError(0, `${what} ${reason}`, { transient: true, cause: e });
}
