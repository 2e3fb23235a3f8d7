/**
 * A `fetch` whose only timeout is a stall. Response headers must arrive within `stallMs`, and
 * then each body chunk must follow the previous one within `stallMs`; a transfer may take as long
 * as it needs while bytes flow. (A whole-request timeout cuts off multi-GB downloads that are
 * progressing normally; huggingface_hub likewise times out reads, not transfers.) A stall aborts
 * the request with a `TimeoutError` DOMException that names the limit.
 */

/** Wraps `base` so that a request fails only when no bytes arrive for `stallMs`. */
export function stallGuardedFetch(base: typeof fetch, stallMs: number): typeof fetch {
  return async (input, init) => {
    const controller = new AbortController();
    const stalled = () =>
      controller.abort(new DOMException(`stalled: no bytes for ${(stallMs / 1000).toFixed(1)} s`, "TimeoutError"));
    const signal = init?.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal;
    const headersTimer = setTimeout(stalled, stallMs);
    let res: Response;
    try {
      res = await base(input, { ...init, signal });
    } finally {
      clearTimeout(headersTimer);
    }
    if (!res.body) return res;
    const reader = res.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(out) {
        const timer = setTimeout(stalled, stallMs);
        try {
          const { done, value } = await reader.read();
          if (done) out.close();
          else out.enqueue(value);
        } catch (e) {
          out.error(e);
        } finally {
          clearTimeout(timer);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    });
    const wrapped = new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    // Callers (and @huggingface/hub) may read where a redirect led.
    Object.defineProperty(wrapped, "url", { value: res.url });
    Object.defineProperty(wrapped, "redirected", { value: res.redirected });
    return wrapped;
  };
}
