/**
 * Backfill planning: how many calls a history load needs per provider, how many quota days that
 * takes with what the daily jobs leave free, and when it would finish. Prefers the cheap call
 * (one Alpha Vantage `outputsize=full` per symbol rather than many compact ones).
 * @module
 */
import type { Clock } from "./clock.ts";
import type { DailyQuota } from "./quota.ts";
import type { TokenBucket } from "./rate_limiter.ts";

export interface ProviderBudget {
  name: string;
  /** Calls one symbol's full history costs (1 for AV outputsize=full or one Yahoo chart call). */
  callsPerSymbol: number;
  dailyLimit: number;
  /** Calls per day the daily jobs need; backfill only uses the rest. */
  reservedForDaily: number;
  perMinute: number;
}

export interface BackfillEstimate {
  provider: string;
  calls: number;
  freePerDay: number;
  quotaDays: number | null;
  /** Wall time if the per-minute limit were the only limit. */
  minutesAtRateLimit: number;
  finishesAt: string | null;
}

export function estimateBackfill(
  { symbols, providers, now }: { symbols: number; providers: ProviderBudget[]; now: Date },
): BackfillEstimate[] {
  return providers.map((p) => {
    const calls = symbols * p.callsPerSymbol;
    const freePerDay = Math.max(0, p.dailyLimit - p.reservedForDaily);
    const quotaDays = freePerDay > 0 ? Math.max(1, Math.ceil(calls / freePerDay)) : null;
    const minutesAtRateLimit = calls / p.perMinute;
    const days = quotaDays === null
      ? null
      : Math.max(quotaDays - 1, 0) + Math.min(freePerDay, calls) / p.perMinute / 1440;
    return {
      provider: p.name,
      calls,
      freePerDay,
      quotaDays,
      minutesAtRateLimit: Number(minutesAtRateLimit.toFixed(1)),
      finishesAt: days === null ? null : new Date(now.getTime() + days * 86_400_000).toISOString(),
    };
  });
}

/**
 * Work through `symbols` under a rate limit and a daily quota: when today's quota is spent, wait
 * for the next UTC day. Returns per-day call counts, so callers can report utilisation.
 */
export async function runBackfill<T>(
  symbols: string[],
  { clock, quota, bucket, call, onProgress }: {
    clock: Clock;
    quota: DailyQuota;
    bucket: TokenBucket;
    call: (symbol: string) => Promise<T>;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<{ callsPerDay: Map<string, number>; failures: { symbol: string; error: unknown }[] }> {
  const callsPerDay = new Map<string, number>();
  const failures: { symbol: string; error: unknown }[] = [];
  for (let i = 0; i < symbols.length; i++) {
    while (!(await quota.tryConsume())) {
      const now = clock.now();
      await clock.sleep(86_400_000 - (now % 86_400_000));
    }
    await bucket.take();
    const day = new Date(clock.now()).toISOString().slice(0, 10);
    callsPerDay.set(day, (callsPerDay.get(day) ?? 0) + 1);
    try {
      await call(symbols[i]);
    } catch (error) {
      failures.push({ symbol: symbols[i], error });
    }
    onProgress?.(i + 1, symbols.length);
  }
  return { callsPerDay, failures };
}
