/**
 * The last known provider health, persisted after each run so that `deno task providers` and
 * the dashboard can show it from another process.
 * @module
 */
import { layout } from "../../lake/layout.ts";
import { getJson, type ObjectStore, putJson } from "../../lake/store.ts";
import type { HealthSnapshot } from "../net/health.ts";

const KEY = layout.state("providers");

export function saveProviderHealth(store: ObjectStore, providers: HealthSnapshot[], at = new Date()): Promise<void> {
  return putJson(store, KEY, { at: at.toISOString(), providers });
}

export async function loadProviderHealth(
  store: ObjectStore,
): Promise<{ at: string; providers: HealthSnapshot[] } | undefined> {
  return await getJson(store, KEY);
}
