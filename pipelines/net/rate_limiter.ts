/**
 * A token bucket per provider: `capacity` tokens, refilled continuously at `perSecond`. Callers
 * queue FIFO; each waits on the injected clock until a token is free.
 * @module
 */
import type { Clock } from "./clock.ts";

export interface RateLimit {
  capacity: number;
  perSecond: number;
}

/** A provider's published limit: at most `calls` in any `windowS` seconds. */
export interface PublishedLimit {
  calls: number;
  windowS: number;
}

/**
 * The bucket that keeps within `calls` in any `windowS` seconds, with bursts of up to `burst`. A
 * bucket grants at most capacity - 1 + rate x window in any window, so a burst costs rate (SEC's
 * 10 a second with a burst of 10 made 19 in the first second); it is kept to a tenth of the calls.
 */
export function withinLimit({ calls, windowS }: PublishedLimit, burst = 1): RateLimit {
  const capacity = Math.max(1, Math.min(burst, Math.floor(calls / 10)));
  return { capacity, perSecond: (calls - capacity + 1) / windowS };
}

/** The free tiers' published limits (Yahoo publishes none). */
export const PUBLISHED_LIMITS: Record<string, PublishedLimit> = {
  alphavantage: { calls: 5, windowS: 60 },
  alpaca: { calls: 200, windowS: 60 },
  sec: { calls: 10, windowS: 1 },
};

/** The buckets under those limits, and polite ones for Yahoo and the directory; `TICKLAKE_RATE_LIMITS` replaces them for a paid plan. */
export const DEFAULT_LIMITS: Record<string, RateLimit> = {
  yahoo: { capacity: 5, perSecond: 2 },
  alphavantage: withinLimit(PUBLISHED_LIMITS.alphavantage),
  alpaca: withinLimit(PUBLISHED_LIMITS.alpaca, 10),
  sec: withinLimit(PUBLISHED_LIMITS.sec),
  nasdaqtrader: { capacity: 1, perSecond: 1 },
};

export interface TokenBucket {
  /** Wait for a token (FIFO). */
  take(): Promise<void>;
}

/**
 * @example Three grants at 1/s with a burst of 2 take one second of waiting
 * ```ts
 * import { createFakeClock } from "./clock.ts";
 * import { createTokenBucket } from "./rate_limiter.ts";
 * const clock = createFakeClock(0);
 * const bucket = createTokenBucket({ capacity: 2, perSecond: 1 }, clock);
 * await clock.run(Promise.all([bucket.take(), bucket.take(), bucket.take()]));
 * if (clock.now() !== 1000) throw new Error(String(clock.now()));
 * ```
 */
export function createTokenBucket(
  limit: RateLimit,
  clock: Clock,
): TokenBucket & { setLimit(limit: RateLimit): void } {
  const check = ({ capacity, perSecond }: RateLimit) => {
    if (!(capacity >= 1) || !(perSecond > 0)) {
      throw new RangeError(
        `Cannot create a token bucket: capacity must be >= 1 and rate > 0, got ${capacity} and ${perSecond}`,
      );
    }
  };
  check(limit);
  let { capacity, perSecond } = limit;
  let tokens = capacity;
  let last = clock.now();
  let queue = Promise.resolve();
  const refill = () => {
    const now = clock.now();
    tokens = Math.min(capacity, tokens + ((now - last) / 1000) * perSecond);
    last = now;
  };
  const waitMs = () => {
    refill();
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / perSecond) * 1000);
  };
  return {
    take() {
      // Chain callers so that grants are strictly FIFO.
      const turn = queue.then(async () => {
        for (let w = waitMs(); w > 0; w = waitMs()) await clock.sleep(w);
        tokens -= 1;
      });
      queue = turn.catch(() => {});
      return turn;
    },
    /** Pace at a new limit from now on (a waiting caller sees it when its sleep ends). */
    setLimit(next) {
      check(next);
      refill();
      ({ capacity, perSecond } = next);
      tokens = Math.min(tokens, capacity);
    },
  };
}
