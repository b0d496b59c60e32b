/**
 * Retry policy by error class. Rate limiting (HTTP 429, Alpha Vantage `Note`/`Information`) backs
 * off 60 s -> 120 s -> 300 s; server errors, timeouts and truncated replies get 3 short retries
 * with jitter; malformed bodies and terminal errors (bad symbol, premium, subscription) are not
 * retried, so they are recorded once and the batch moves on. A reply that asks for a longer wait
 * (Retry-After) gets it, up to `maxWaitMs`; past that the call gives up at once, so that the job
 * moves on (or the router fails over) instead of sleeping for an hour.
 * @module
 */
import { ProviderError } from "../sources/http.ts";
import type { Clock } from "./clock.ts";

export interface RetryPolicy {
  rateLimitedDelaysMs: number[];
  transientDelaysMs: number[];
  /** Fraction of each transient delay added at random, to spread retries out. */
  jitter: number;
  /** The longest wait a provider may ask for before a retry; a longer one ends the retries. */
  maxWaitMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  rateLimitedDelaysMs: [60_000, 120_000, 300_000],
  transientDelaysMs: [1_000, 4_000, 10_000],
  jitter: 0.2,
  maxWaitMs: 900_000,
};

export type ErrorClass = "rate_limited" | "transient" | "terminal";

export function classify(e: unknown): ErrorClass {
  if (!(e instanceof ProviderError)) return "terminal";
  if (e.reason === "rate_limited") return "rate_limited";
  return e.retriable ? "transient" : "terminal";
}

/** Thrown when retries run out; keeps the last error as `cause`. */
export class RetriesExhausted extends Error {
  constructor(readonly attempts: number, readonly last: unknown) {
    super(`Gave up after ${attempts} attempts: ${(last as Error)?.message ?? last}`, { cause: last });
    this.name = "RetriesExhausted";
  }
}

/**
 * Run `fn`, retrying by the policy. Terminal errors are re-thrown at once.
 *
 * @example
 * ```ts
 * import { createFakeClock } from "./clock.ts";
 * import { withRetry } from "./retry.ts";
 * const clock = createFakeClock();
 * const v = await withRetry(() => Promise.resolve(42), { clock });
 * if (v !== 42) throw new Error();
 * ```
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  { clock, policy = DEFAULT_RETRY, random = Math.random, onRetry }: {
    clock: Clock;
    policy?: RetryPolicy;
    random?: () => number;
    onRetry?: (info: { attempt: number; delayMs: number; error: unknown; kind: ErrorClass }) => void;
  },
): Promise<T> {
  let rateLimited = 0, transient = 0;
  for (let attempt = 1;; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      const kind = classify(e);
      if (kind === "terminal") throw e;
      const delays = kind === "rate_limited" ? policy.rateLimitedDelaysMs : policy.transientDelaysMs;
      const n = kind === "rate_limited" ? rateLimited++ : transient++;
      if (n >= delays.length) throw new RetriesExhausted(attempt, e);
      const asked = e instanceof ProviderError && e.retryAfterS ? e.retryAfterS * 1000 : 0;
      if (asked > policy.maxWaitMs) throw new RetriesExhausted(attempt, e);
      const base = Math.max(delays[n], asked);
      const delayMs = kind === "transient" ? Math.round(base * (1 + policy.jitter * random())) : base;
      onRetry?.({ attempt, delayMs, error: e, kind });
      await clock.sleep(delayMs);
    }
  }
}
