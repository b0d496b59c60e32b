/**
 * The per-provider guards (token bucket, persisted daily quota, circuit breaker, health) and the
 * router over them, built once per process from the defaults or overrides.
 * @module
 */
import type { Config } from "../../config.ts";
import type { ObjectStore } from "../../lake/store.ts";
import { createCircuitBreaker } from "../net/circuit_breaker.ts";
import { type Clock, realClock } from "../net/clock.ts";
import { createHealth, type HealthSnapshot } from "../net/health.ts";
import { createDailyQuota, objectStoreQuotaState } from "../net/quota.ts";
import { createTokenBucket, DEFAULT_LIMITS, type RateLimit, withinLimit } from "../net/rate_limiter.ts";
import { type Capability, createRouter, type ProviderGuard } from "../net/router.ts";
import { sharedBucket } from "../net/shared_rate.ts";

/**
 * Daily quotas of the free tiers: Alpha Vantage allows 25 calls a day (2024 terms); keep 2 for
 * checks. `TICKLAKE_DAILY_QUOTAS` replaces them for a paid plan.
 */
export const DEFAULT_QUOTAS: Record<string, { limit: number; reserve: number }> = {
  alphavantage: { limit: 25, reserve: 2 },
};

/**
 * The guards' rate limits and daily quotas: the free tiers' defaults, with what the configuration
 * replaces for a paid plan (the burst stays the default's; a quota of 0 is none).
 */
export function netOptions(net: Config["net"]) {
  const limits = { ...DEFAULT_LIMITS };
  for (const [p, published] of Object.entries(net.rateLimits)) {
    limits[p] = withinLimit(published, DEFAULT_LIMITS[p]?.capacity);
  }
  const quotas = { ...DEFAULT_QUOTAS };
  for (const [p, limit] of Object.entries(net.callsPerDay)) {
    if (limit === 0) delete quotas[p];
    else quotas[p] = { limit, reserve: Math.min(DEFAULT_QUOTAS[p]?.reserve ?? 0, limit - 1) };
  }
  return { limits, quotas };
}

/**
 * The net a job builds from its configuration: the free tiers' guards with the configured
 * overrides, each rate shared with the other processes calling that provider for this lake.
 * Disposing of it leaves those shares at once.
 */
export function configuredProviderNet(store: ObjectStore, net: Config["net"]) {
  return createProviderNet({ store, ...netOptions(net), shareRates: true });
}

export function createProviderNet(
  { store, clock = realClock, limits = DEFAULT_LIMITS, quotas = DEFAULT_QUOTAS, policy, breaker = {}, shareRates }: {
    store: ObjectStore;
    clock?: Clock;
    limits?: Record<string, RateLimit>;
    quotas?: Record<string, { limit: number; reserve: number }>;
    policy?: Partial<Record<Capability, string[]>>;
    breaker?: { failureThreshold?: number; openMs?: number };
    /** Share each rate limit with the other processes calling the provider for this lake (`sharedBucket`). */
    shareRates?: boolean;
  },
) {
  const guards: Record<string, ProviderGuard> = {};
  const shared: ReturnType<typeof sharedBucket>[] = [];
  const bucketFor = (provider: string, limit: RateLimit) => {
    if (!shareRates) return createTokenBucket(limit, clock);
    const bucket = sharedBucket(limit, { store, provider, clock });
    shared.push(bucket);
    return bucket;
  };
  for (const [name, limit] of Object.entries(limits)) {
    const q = quotas[name];
    guards[name] = {
      bucket: bucketFor(name, limit),
      breaker: createCircuitBreaker({ ...breaker, clock }),
      health: createHealth(name),
      quota: q ? createDailyQuota({ ...q, clock, state: objectStoreQuotaState(store, name) }) : undefined,
    };
  }
  const router = createRouter({ policy, providers: guards, clock });
  return {
    router,
    guards,
    clock,
    async snapshot(): Promise<HealthSnapshot[]> {
      return await Promise.all(
        Object.entries(guards).map(async ([, g]) =>
          g.health.snapshot(g.breaker.state, g.quota ? await g.quota.remaining() : null)
        ),
      );
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(shared.map((b) => b.leave()));
    },
  };
}
