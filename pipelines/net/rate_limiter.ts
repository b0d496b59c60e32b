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

/** The free tiers' published (or, for Yahoo, polite) limits; `TICKLAKE_RATE_LIMITS` replaces them for a paid plan. */
export const DEFAULT_LIMITS: Record<string, RateLimit> = {
  yahoo: { capacity: 5, perSecond: 2 },
  alphavantage: { capacity: 1, perSecond: 5 / 60 },
  alpaca: { capacity: 10, perSecond: 200 / 60 },
  sec: { capacity: 10, perSecond: 10 },
  nasdaqtrader: { capacity: 1, perSecond: 1 },
};

export interface TokenBucket {
  /** Wait for a token (FIFO). */
  take(): Promise<void>;
  /** Take a token now if one is free. */
  tryTake(): boolean;
  /** Milliseconds until the next token, 0 when one is free. */
  waitMs(): number;
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
export function createTokenBucket({ capacity, perSecond }: RateLimit, clock: Clock): TokenBucket {
  if (!(capacity >= 1) || !(perSecond > 0)) {
    throw new RangeError(
      `Cannot create a token bucket: capacity must be >= 1 and rate > 0, got ${capacity} and ${perSecond}`,
    );
  }
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
    tryTake() {
      refill();
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    waitMs,
    take() {
      // Chain callers so that grants are strictly FIFO.
      const turn = queue.then(async () => {
        for (let w = waitMs(); w > 0; w = waitMs()) await clock.sleep(w);
        tokens -= 1;
      });
      queue = turn.catch(() => {});
      return turn;
    },
  };
}
