/**
 * Health-aware routing per capability: try providers in the configured order, skipping one whose
 * breaker is open, whose daily quota is spent or whose health is below a floor; record each
 * outcome; fail over to the next on failure. The provider that served is returned for lineage.
 * @module
 */
import { StoreError } from "../../lake/store.ts";
import type { CircuitBreaker } from "./circuit_breaker.ts";
import type { Clock } from "./clock.ts";
import type { createHealth, HealthSnapshot } from "./health.ts";
import type { DailyQuota } from "./quota.ts";
import type { TokenBucket } from "./rate_limiter.ts";
import { ProviderError } from "../sources/http.ts";

export type Capability = "eod" | "minute" | "fundamentals" | "listing" | "ciks";

export const DEFAULT_POLICY: Record<Capability, string[]> = {
  eod: ["yahoo", "alphavantage"],
  minute: ["alpaca", "yahoo"],
  fundamentals: ["sec"],
  listing: ["nasdaqtrader", "alphavantage"],
  ciks: ["sec"],
};

export interface ProviderGuard {
  breaker: CircuitBreaker;
  quota?: DailyQuota;
  bucket?: TokenBucket;
  health: ReturnType<typeof createHealth>;
}

/** No provider could serve; `reasons` says why, per provider, and `errors` holds what those it asked threw. */
export class NoProviderError extends Error {
  constructor(
    readonly capability: string,
    readonly reasons: Record<string, string>,
    readonly errors: Record<string, unknown> = {},
  ) {
    super(
      `No provider could serve '${capability}': ${Object.entries(reasons).map(([p, r]) => `${p}: ${r}`).join("; ")}`,
    );
    this.name = "NoProviderError";
  }
}

export type Router = ReturnType<typeof createRouter>;

export function createRouter(
  { policy = DEFAULT_POLICY, providers, clock, healthFloor = 0.3 }: {
    policy?: Partial<Record<Capability, string[]>>;
    providers: Record<string, ProviderGuard>;
    clock: Clock;
    healthFloor?: number;
  },
) {
  return {
    /** Run `call` on the first provider that can take it; `only` narrows the policy's list. */
    async run<T>(
      capability: Capability,
      call: (provider: string) => Promise<T>,
      only?: string[],
    ): Promise<{ provider: string; value: T }> {
      const reasons: Record<string, string> = {};
      const errors: Record<string, unknown> = {};
      for (const name of policy[capability] ?? DEFAULT_POLICY[capability]) {
        if (only && !only.includes(name)) continue;
        const g = providers[name];
        if (!g) {
          reasons[name] = "not configured";
          continue;
        }
        const snap = g.health.snapshot(g.breaker.state);
        if (snap.breaker !== "half_open" && snap.score < healthFloor) {
          reasons[name] = `health ${snap.score} below ${healthFloor}`;
          continue;
        }
        if (!g.breaker.allow()) {
          reasons[name] = `circuit ${g.breaker.state}`;
          continue;
        }
        if (g.quota && !(await g.quota.tryConsume())) {
          reasons[name] = "daily quota spent";
          continue;
        }
        await g.bucket?.take();
        const started = clock.now();
        try {
          const value = await call(name);
          g.breaker.success();
          g.health.record(true, clock.now() - started);
          return { provider: name, value };
        } catch (e) {
          // The lake refusing the reply (a full disk) is not the provider's doing: no mark against
          // it, and no other provider asked, whose reply would meet the same refusal.
          if (e instanceof StoreError) throw e;
          g.breaker.failure();
          g.health.record(false, clock.now() - started);
          reasons[name] = (e as Error).message;
          errors[name] = e;
          // The provider's own word that today's calls are spent outranks our count of them.
          if (e instanceof ProviderError && e.reason === "quota_exhausted") await g.quota?.exhaust();
        }
      }
      throw new NoProviderError(capability, reasons, errors);
    },
    snapshot(): HealthSnapshot[] {
      return Object.entries(providers).map(([, g]) => g.health.snapshot(g.breaker.state));
    },
  };
}
