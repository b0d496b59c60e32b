/**
 * A provider's daily call quota that survives restarts: the counter is persisted before a call
 * is granted, so a crash can only over-count, never hand out the same call twice. A reserve is
 * kept for emergency calls (e.g. stop normal work at 490 of 500).
 * @module
 */
import { layout } from "../../lake/layout.ts";
import { getJson, lockHolder, type ObjectStore, putJson } from "../../lake/store.ts";
import type { Clock } from "./clock.ts";

export interface QuotaState {
  load(): Promise<{ day: string; used: number } | undefined>;
  save(v: { day: string; used: number }): Promise<void>;
  /** Run a load-then-save with no other process's in between, where processes share the state. */
  exclusive?<T>(fn: () => Promise<T>): Promise<T>;
}

/** Persist quota counters in the lake's state area, shared by every process using the lake. */
export function objectStoreQuotaState(store: ObjectStore, provider: string): QuotaState {
  const key = layout.state(`quota_${provider}`);
  return {
    load: () => getJson(store, key),
    save: (v) => putJson(store, key, v),
    async exclusive(fn) {
      // Held for a read and a write: it waits as long as that takes, whatever limit table locks have.
      const lock = await store.lock(layout.lock(`quota_${provider}`), lockHolder("quota"), { maxWaitMs: Infinity });
      try {
        return await fn();
      } finally {
        await lock.release();
      }
    },
  };
}

/** Keeps the counter in memory (for simulations). */
export function memoryQuotaState(): QuotaState & { value?: { day: string; used: number } } {
  const s: QuotaState & { value?: { day: string; used: number } } = {
    load: () => Promise.resolve(s.value && { ...s.value }),
    save: (v) => {
      s.value = { ...v };
      return Promise.resolve();
    },
  };
  return s;
}

export interface DailyQuota {
  /** Grant `n` calls if the day's budget allows; emergency calls may use the reserve. */
  tryConsume(n?: number, opts?: { emergency?: boolean }): Promise<boolean>;
  /** Calls left today for normal work. */
  remaining(): Promise<number>;
  /** The provider says today's calls are spent (another user of the key, say): count them all used. */
  exhaust(): Promise<void>;
  readonly limit: number;
  readonly reserve: number;
}

/** The quota day in UTC: Alpha Vantage's free tier resets at midnight UTC (our assumption; documented). */
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function createDailyQuota(
  { limit, reserve = 0, clock, state }: { limit: number; reserve?: number; clock: Clock; state: QuotaState },
): DailyQuota {
  if (reserve < 0 || reserve >= limit) {
    throw new RangeError(`Cannot create a quota: reserve ${reserve} must be in [0, ${limit})`);
  }
  let chain = Promise.resolve();
  /** Run a load-then-save after this process's earlier ones, and exclusive of other processes'. */
  const inTurn = <T>(op: () => Promise<T>): Promise<T> => {
    const run = chain.then(() => state.exclusive ? state.exclusive(op) : op());
    chain = run.then(() => {}, () => {});
    return run;
  };
  const current = async () => {
    const today = dayOf(clock.now());
    const saved = await state.load();
    return saved && saved.day === today ? saved : { day: today, used: 0 };
  };
  return {
    limit,
    reserve,
    tryConsume(n = 1, { emergency = false } = {}) {
      return inTurn(async () => {
        const s = await current();
        const cap = emergency ? limit : limit - reserve;
        if (s.used + n > cap) return false;
        await state.save({ day: s.day, used: s.used + n });
        return true;
      });
    },
    exhaust() {
      return inTurn(async () => state.save({ day: (await current()).day, used: limit }));
    },
    async remaining() {
      return Math.max(0, limit - reserve - (await current()).used);
    },
  };
}
