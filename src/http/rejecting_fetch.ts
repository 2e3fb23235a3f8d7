/**
 * A fetch for client libraries whose errors drop the response headers (@huggingface/hub's
 * `HubApiError` keeps only status and text). A 429 or 5xx reply becomes a thrown transient
 * `HttpError` carrying the wait the server asked for (`RateLimit`, `Retry-After`) and its
 * `X-Error-Code`, so the caller's retry honours the server instead of guessing. Other replies
 * pass through unchanged, keeping the library's own handling of 4xx, except those whose code the
 * caller wants kept (the library's errors would drop it).
 */
import { HttpError } from "./http_error.ts";
import { describeWait, toldWaitMs } from "./rate_limit.ts";

/**
 * Wraps `base`; `service` names the server in messages ("the Hub"). 4xx replies whose
 * `X-Error-Code` is in `finalCodes` are thrown too, as final errors that keep the code.
 */
export function rejectingTransientFetch(
  base: typeof fetch,
  service: string,
  finalCodes: ReadonlySet<string> = new Set(),
): typeof fetch {
  return async (input, init) => {
    const res = await base(input, init);
    const coded = res.status < 500 && finalCodes.has(res.headers.get("x-error-code") ?? "");
    if (res.status !== 429 && res.status < 500 && !coded) return res;
    const url = new URL(input instanceof Request ? input.url : String(input));
    const code = res.headers.get("x-error-code") ?? undefined;
    await res.body?.cancel();
    const what = `${init?.method ?? "GET"} ${url.pathname} on ${service} returned ${res.status}${
      code ? ` ${code}` : ""
    }`;
    if (coded) throw new HttpError(res.status, what, { transient: false, code });
    throw new HttpError(res.status, `${what} (${describeWait(res.status, res.headers)})`, {
      transient: true,
      waitMs: toldWaitMs(res.status, res.headers),
      code,
    });
  };
}
