/**
 * The HTTP primitive every provider client uses: one GET, the body kept verbatim, secrets kept
 * out of the recorded URL, and one error type that callers branch on.
 * @module
 */
import type { RawMeta, RawReply } from "../../lake/raw.ts";
import { redactUrl } from "../log.ts";

/** A provider reply exactly as received (what the raw layer stores), plus its latency. */
export interface RawResponse extends RawReply {
  latencyMs: number;
  /** Seconds a 429 or 503 reply asked us to wait before trying again, when it said. */
  retryAfterS?: number;
}

/** A reply from the raw layer as the response it was, to parse again (its latency is not stored). */
export function storedResponse(meta: RawMeta, body: Uint8Array): RawResponse {
  return {
    provider: meta.provider,
    url: meta.url,
    status: meta.status,
    contentType: meta.content_type,
    body,
    fetchedAt: new Date(meta.fetched_at),
    requestId: meta.request_id,
    latencyMs: 0,
  };
}

/** A provider call failed. `retriable` separates transient faults from terminal ones. */
export class ProviderError extends Error {
  readonly provider: string;
  readonly status: number;
  readonly retriable: boolean;
  /** Seconds the provider asked us to wait (Retry-After, rate-limit notes), when known. */
  readonly retryAfterS?: number;
  /** A short machine-readable reason: `rate_limited`, `server_error`, `timeout`, `malformed`, ... */
  readonly reason: string;
  constructor(
    message: string,
    opts: {
      provider: string;
      status: number;
      retriable: boolean;
      reason: string;
      retryAfterS?: number;
      cause?: unknown;
    },
  ) {
    super(message, { cause: opts.cause });
    this.name = "ProviderError";
    this.provider = opts.provider;
    this.status = opts.status;
    this.retriable = opts.retriable;
    this.reason = opts.reason;
    this.retryAfterS = opts.retryAfterS;
  }
}

export type Fetch = typeof fetch;

export interface GetOptions {
  provider: string;
  url: string;
  headers?: Record<string, string>;
  fetch?: Fetch;
  timeoutMs?: number;
  now?: () => Date;
}

/**
 * GET a URL and keep the reply verbatim, whatever its status. Network failures and timeouts
 * become a retriable {@linkcode ProviderError}; HTTP statuses are left for the caller to judge.
 */
export async function getRaw(opts: GetOptions): Promise<RawResponse> {
  const { provider, url, headers = {}, fetch: doFetch = fetch, timeoutMs = 30_000, now = () => new Date() } = opts;
  const started = performance.now();
  const fetchedAt = now();
  let res: Response;
  try {
    res = await doFetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const timeout = e instanceof DOMException && (e.name === "TimeoutError" || e.name === "AbortError");
    throw new ProviderError(
      `Cannot fetch ${redactUrl(url)}: ${timeout ? `no reply within ${timeoutMs} ms` : (e as Error).message}`,
      { provider, status: 0, retriable: true, reason: timeout ? "timeout" : "network", cause: e },
    );
  }
  let body: Uint8Array;
  try {
    body = new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    throw new ProviderError(`Cannot read the reply of ${redactUrl(url)}: ${(e as Error).message}`, {
      provider,
      status: res.status,
      retriable: true,
      reason: "truncated",
      cause: e,
    });
  }
  return {
    provider,
    url: redactUrl(url),
    status: res.status,
    contentType: res.headers.get("content-type") ?? "",
    body,
    fetchedAt,
    requestId: res.headers.get("x-request-id") ?? crypto.randomUUID(),
    latencyMs: performance.now() - started,
    retryAfterS: res.status === 429 || res.status === 503 ? askedWaitS(res.headers, fetchedAt) : undefined,
  };
}

/**
 * The wait a reply asks for, in whole seconds: `Retry-After` (seconds, or an HTTP date) or, as
 * Alpaca sends it, `X-RateLimit-Reset` (the epoch second the window reopens). Undefined when it
 * says neither in a form we can read.
 */
export function askedWaitS(headers: Headers, now: Date): number | undefined {
  const untilS = (ms: number) => Math.max(0, Math.ceil((ms - now.getTime()) / 1000));
  const after = headers.get("retry-after")?.trim() ?? "";
  if (/^\d+$/.test(after)) return Number(after);
  // An HTTP date names its weekday and month; V8 would read "-5" as a date too.
  if (/^[A-Za-z]{3}, /.test(after) && Number.isFinite(Date.parse(after))) return untilS(Date.parse(after));
  const reset = headers.get("x-ratelimit-reset")?.trim() ?? "";
  return /^\d+$/.test(reset) ? untilS(Number(reset) * 1000) : undefined;
}

/**
 * Classify a non-2xx status the way most providers mean it; `detail` replaces the generic "answered
 * HTTP n" with what the provider said. Carries the wait the reply asked for.
 */
export function statusError(provider: string, r: RawResponse, what: string, detail?: string): ProviderError {
  const retriable = r.status === 429 || r.status >= 500;
  const reason = r.status === 429
    ? "rate_limited"
    : r.status >= 500
    ? "server_error"
    : r.status === 404
    ? "not_found"
    : "client_error";
  const asked = r.retryAfterS === undefined ? "" : ` (asked to wait ${r.retryAfterS} s)`;
  return new ProviderError(`Cannot ${what}: ${detail ?? `${provider} answered HTTP ${r.status}`}${asked}`, {
    provider,
    status: r.status,
    retriable,
    reason,
    retryAfterS: r.retryAfterS,
  });
}
