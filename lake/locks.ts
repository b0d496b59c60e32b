/**
 * The lake's locks as onlookers see them, for `deno task status` and the dashboard's Pipeline page.
 * @module
 */
import { layout } from "./layout.ts";
import type { LockState, ObjectStore } from "./store.ts";

/** A lock by name (`daily_bars`, `quota_alphavantage`), with its state. */
export type LockEntry = { name: string } & LockState;

/** Locks held now, or whose last holder never released them (it was killed); those released cleanly are left out. */
export async function listLocks(store: ObjectStore): Promise<LockEntry[]> {
  const locks: LockEntry[] = [];
  for (const o of await store.list(layout.locksRoot)) {
    const state = await store.inspectLock(o.key);
    // A lock file naming nobody was released cleanly (a holder writes its name once it holds it).
    if (!state || (state.state !== "held" && !state.holder)) continue;
    locks.push({ name: o.key.slice(layout.locksRoot.length).replace(/\.lock$/, ""), ...state });
  }
  return locks;
}
