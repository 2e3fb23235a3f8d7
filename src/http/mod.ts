/**
 * The HTTP edge shared by every outside service (the Hub, the datasets-server): one error type,
 * the servers' own word on how long to wait (Retry-After, RateLimit), retries that honour it,
 * and a fetch that times out on stalls rather than on long transfers.
 */
export * from "./http_error.ts";
export * from "./rate_limit.ts";
export * from "./retry.ts";
export * from "./stall_fetch.ts";
export * from "./rejecting_fetch.ts";
