/**
 * The per-provider guards (token bucket, persisted daily quota, circuit breaker, health) and the
 * router over them, built once per process from the defaults or overrides.
 * @module
 */
import type { ObjectStore } from "../../lake/store.ts";
import { createCircuitBreaker } from "../net/circuit_breaker.ts";
import { type Clock, realClock } from "../net/clock.ts";
import { createHealth, type HealthSnapshot } from "../net/health.ts";
import { createDailyQuota, objectStoreQuotaState } from "../net/quota.ts";
import { createTokenBucket, DEFAULT_LIMITS, type RateLimit } from "../net/rate_limiter.ts";
import { type Capability, createRouter, type ProviderGuard } from "../net/router.ts";

/** Daily quotas of the free tiers: Alpha Vantage allows 25 calls a day (2024 terms); keep 2 for checks. */
export const DEFAULT_QUOTAS: Record<string, { limit: number; reserve: number }> = {
  alphavantage: { limit: 25, reserve: 2 },
};

export function createProviderNet(
  { store, clock = realClock, limits = DEFAULT_LIMITS, quotas = DEFAULT_QUOTAS, policy, breaker = {} }: {
    store: ObjectStore;
    clock?: Clock;
    limits?: Record<string, RateLimit>;
    quotas?: Record<string, { limit: number; reserve: number }>;
    policy?: Partial<Record<Capability, string[]>>;
    breaker?: { failureThreshold?: number; openMs?: number };
  },
) {
  const guards: Record<string, ProviderGuard> = {};
  for (const [name, limit] of Object.entries(limits)) {
    const q = quotas[name];
    guards[name] = {
      bucket: createTokenBucket(limit, clock),
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
  };
}
