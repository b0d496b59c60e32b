/**
 * A provider's rate limit shared by the processes that use one lake. Providers limit an address,
 * not a process: a cron's run and a manual one at SEC's 10 calls a second each would have the
 * address blocked for ten minutes. A process calling a provider keeps a presence object in the
 * lake's state, rewritten every beat, naming the presences it counts; it paces itself at the limit
 * divided by them. A newcomer makes no call before every other presence names it, so the others
 * have slowed down first. A presence not rewritten for `staleMs` (by the store's own clock, so
 * hosts' clocks need not agree) is a dead process's: it is deleted and no longer counted.
 * @module
 */
import { layout } from "../../lake/layout.ts";
import { getJson, lockHolder, type ObjectStore, putJson } from "../../lake/store.ts";
import type { Clock } from "./clock.ts";
import { createTokenBucket, type RateLimit, type TokenBucket } from "./rate_limiter.ts";

interface Presence {
  id: string;
  pid: number;
  host: string;
  since: string;
  /** The presences this process counts, itself included. */
  sees: string[];
}

/** How long a presence may go unwritten before it counts as a dead process's. */
const STALE_MS = 20_000;

export interface SharedRateOptions {
  store: ObjectStore;
  provider: string;
  clock: Clock;
  /** How often a process rewrites its presence and counts the others. */
  beatMs?: number;
  /** A presence older than this, against the newest write of ours, is a dead process's. */
  staleMs?: number;
}

/** One of `n` equal shares of `limit`: together they keep the limit in any window. */
export function shareOf({ capacity, perSecond }: RateLimit, n: number): RateLimit {
  return { capacity: Math.max(1, Math.floor(capacity / n)), perSecond: perSecond / n };
}

/** A bucket at this process's share of `limit`; it joins at its first `take()`, and leaves when idle for two beats or on `leave()`. */
export function sharedBucket(
  limit: RateLimit,
  { store, provider, clock, beatMs = 2_000, staleMs = STALE_MS }: SharedRateOptions,
): TokenBucket & { leave(): Promise<void>; readonly shares: number } {
  const bucket = createTokenBucket(limit, clock);
  const me: Omit<Presence, "sees"> = { id: crypto.randomUUID(), ...lockHolder("rate") };
  const key = layout.pacer(provider, me.id);
  let sees = [me.id];
  /** This process's stay among the provider's callers, from its first call to its leaving. */
  let stay: { ready: Promise<void>; cut: AbortController } | undefined;
  let admitted = false;
  let lastTake = 0;
  let waiting = 0;
  let admission: PromiseWithResolvers<void> | undefined;
  let beating: Promise<void> | undefined;

  const left = () => new Error(`Cannot call ${provider}: this process left its callers`);
  const write = () => putJson(store, key, { ...me, sees } satisfies Presence);
  const beat = async () => {
    await write();
    const listed = await store.list(layout.pacersPrefix(provider));
    const ours = listed.find((o) => o.key === key)?.modified?.getTime();
    const live: string[] = [];
    for (const o of listed) {
      const stale = ours !== undefined && o.modified && ours - o.modified.getTime() > staleMs;
      if (stale) await store.delete(o.key).catch(() => {});
      else live.push(o.key.slice(o.key.lastIndexOf("/") + 1, -".json".length));
    }
    live.sort();
    bucket.setLimit(shareOf(limit, live.length));
    if (live.join() !== sees.join()) {
      sees = live;
      await write();
    }
    if (!admitted) {
      const others = await Promise.all(
        live.filter((id) => id !== me.id).map((id) => getJson<Presence>(store, layout.pacer(provider, id))),
      );
      // A presence gone since the listing has left: it need not see us.
      admitted = others.every((p) => !p || p.sees?.includes(me.id));
      if (admitted) admission?.resolve();
    }
  };
  const leave = async () => {
    if (!stay) return;
    stay.cut.abort();
    stay = undefined;
    // A call still waiting to be admitted (a job stopped meanwhile) is not made.
    admission?.reject(left());
    admitted = false;
    // A beat under way would write the presence again after the delete.
    await beating?.catch(() => {});
    await store.delete(key).catch(() => {});
  };
  const keepBeating = async (current: NonNullable<typeof stay>) => {
    for (;;) {
      await clock.sleep(admitted ? beatMs : beatMs / 4, current.cut.signal);
      if (stay !== current) return;
      if (admitted && waiting === 0 && clock.now() - lastTake > 2 * beatMs) return await leave();
      try {
        await (beating = beat());
      } catch (e) {
        // Once admitted, a beat that fails (the store out of reach a moment) keeps the last share;
        // before, the callers waiting to be admitted are told.
        if (admitted) continue;
        current.cut.abort();
        return admission?.reject(e);
      }
    }
  };
  const join = () => {
    const current = { cut: new AbortController() } as NonNullable<typeof stay>;
    stay = current;
    current.ready = (async () => {
      try {
        admission = Promise.withResolvers<void>();
        // Rejected by leave() or a failed beat, perhaps before anyone waits on it.
        admission.promise.catch(() => {});
        await (beating = beat());
        if (stay !== current) throw left();
        keepBeating(current);
        if (!admitted) await admission.promise;
      } catch (e) {
        // Not joined after all: a presence written before the failure would hold newcomers back
        // (one that left has deleted it already, and may have joined again since).
        if (stay === current) {
          stay = undefined;
          await store.delete(key).catch(() => {});
        }
        throw e;
      }
    })();
    return current.ready;
  };

  return {
    async take() {
      waiting++;
      try {
        await (stay?.ready ?? join());
        await bucket.take();
      } finally {
        waiting--;
        lastTake = clock.now();
      }
    },
    leave,
    get shares() {
      return sees.length;
    },
  };
}

/** Who calls each provider for this lake now, by the presences written in the last `STALE_MS` (by this host's clock). */
export async function ratesShared(
  store: ObjectStore,
  now = Date.now(),
): Promise<{ provider: string; processes: Omit<Presence, "sees">[] }[]> {
  const live = (await store.list(layout.pacersRoot)).filter((o) =>
    !o.modified || now - o.modified.getTime() <= STALE_MS
  );
  const byProvider = new Map<string, Omit<Presence, "sees">[]>();
  for (const o of live) {
    const presence = await getJson<Presence>(store, o.key).catch(() => undefined);
    if (!presence) continue; // left since the listing, or unreadable
    const { sees: _, ...who } = presence;
    const provider = o.key.slice(layout.pacersRoot.length).split("/")[0];
    byProvider.set(provider, [...byProvider.get(provider) ?? [], who]);
  }
  return [...byProvider].map(([provider, processes]) => ({ provider, processes }));
}
