/**
 * What a server says about waiting: `Retry-After` (seconds or an HTTP date, RFC 9110 section 10.2.3)
 * and the IETF draft rate-limit headers the Hugging Face Hub sends on 429
 * (draft-ietf-httpapi-ratelimit-headers-09):
 *
 *   RateLimit:        "api";r=0;t=55          (resource, remaining requests, seconds to reset)
 *   RateLimit-Policy: "fixed window";"api";q=500;w=300
 *
 * The Hub often answers 429 with these and no `Retry-After`. The rule for how long to wait is
 * huggingface_hub's `http_backoff` (utils/_http.py): on 429 with `r=0`, wait `t` seconds; else
 * `Retry-After` when present; in both cases one extra second against rounding.
 */

/** A parsed `RateLimit` header, with its policy when one came. */
export interface RateLimitInfo {
  resource: string;
  remaining: number;
  resetSeconds: number;
  limit?: number;
  windowSeconds?: number;
}

const RATE_LIMIT = /"(\w+)"\s*;\s*r\s*=\s*(\d+)\s*;\s*t\s*=\s*(\d+)/;
const POLICY = /q\s*=\s*(\d+).*?w\s*=\s*(\d+)/;

/** Parses `RateLimit` (and `RateLimit-Policy`); undefined when absent or unreadable. */
export function parseRateLimit(headers: Headers): RateLimitInfo | undefined {
  const m = RATE_LIMIT.exec(headers.get("ratelimit") ?? "");
  if (!m) return undefined;
  const info: RateLimitInfo = { resource: m[1], remaining: Number(m[2]), resetSeconds: Number(m[3]) };
  const p = POLICY.exec(headers.get("ratelimit-policy") ?? "");
  if (p) {
    info.limit = Number(p[1]);
    info.windowSeconds = Number(p[2]);
  }
  return info;
}

/** The delay `Retry-After` asks for, in ms (delay-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** How long a reply asks the client to wait before trying again, in ms, or undefined. */
export function toldWaitMs(status: number, headers: Headers, now = Date.now()): number | undefined {
  const limit = status === 429 ? parseRateLimit(headers) : undefined;
  if (limit && limit.remaining === 0) return (limit.resetSeconds + 1) * 1000;
  const after = parseRetryAfter(headers.get("retry-after"), now);
  return after === undefined ? undefined : after + 1000;
}

/** A short description of the wait a reply asks for, for log lines ("RateLimit "api" r=0 t=55"). */
export function describeWait(status: number, headers: Headers): string {
  const limit = status === 429 ? parseRateLimit(headers) : undefined;
  if (limit && limit.remaining === 0) {
    const policy = limit.limit !== undefined ? `, ${limit.limit} per ${limit.windowSeconds} s` : "";
    return `rate limit "${limit.resource}" exhausted, resets in ${limit.resetSeconds} s${policy}`;
  }
  const after = headers.get("retry-after");
  return after ? `Retry-After: ${after.slice(0, 40)}` : `status ${status}`;
}
