/**
 * The last known provider health, persisted after each run so that `deno task providers` and
 * the dashboard can show it from another process.
 * @module
 */
import { layout } from "../../lake/layout.ts";
import { getJson, lockHolder, type ObjectStore, putJson } from "../../lake/store.ts";
import type { HealthSnapshot } from "../net/health.ts";
import type { Config } from "../../config.ts";
import { configuredProviderNet } from "./provider_net.ts";

const KEY = layout.state("providers");

/** A provider's health as the last run that called it saw it, and when that run saved it. */
export type SavedHealth = HealthSnapshot & { at: string };

/**
 * Save a run's provider health over what earlier runs saved. A provider the run did not call keeps
 * its last health: the symbol refresh must not wipe out a failing Yahoo that the daily close saw.
 * Read and written back under a lock, so two runs ending at once both land.
 */
export async function saveProviderHealth(
  store: ObjectStore,
  providers: HealthSnapshot[],
  at = new Date(),
): Promise<void> {
  // Held for a read and a write: it waits as long as that takes, whatever limit table locks have.
  const lock = await store.lock(layout.lock("providers"), lockHolder("provider_health"), { maxWaitMs: Infinity });
  try {
    const saved = new Map((await loadProviderHealth(store))?.providers.map((p) => [p.provider, p]));
    for (const p of providers) {
      const before = saved.get(p.provider);
      if (p.calls > 0 || !before) saved.set(p.provider, { ...p, at: at.toISOString() });
    }
    await putJson(store, KEY, { at: at.toISOString(), providers: [...saved.values()] });
  } finally {
    await lock.release();
  }
}

export async function loadProviderHealth(
  store: ObjectStore,
): Promise<{ at: string; providers: SavedHealth[] } | undefined> {
  return await getJson(store, KEY);
}

/**
 * The saved health, each provider's quota read fresh (quotas reset daily, and other runs spend
 * them) against the configured limits.
 */
export async function currentProviderHealth(
  store: ObjectStore,
  net: Config["net"],
): Promise<{ at: string; providers: SavedHealth[] } | undefined> {
  const saved = await loadProviderHealth(store);
  if (!saved) return undefined;
  const guards = configuredProviderNet(store, net);
  const quotaLeft = new Map((await guards.snapshot()).map((s) => [s.provider, s.quotaLeft]));
  return {
    at: saved.at,
    providers: saved.providers.map((p) => ({
      ...p,
      at: p.at ?? saved.at,
      quotaLeft: quotaLeft.get(p.provider) ?? p.quotaLeft,
    })),
  };
}
