import assert from "node:assert/strict";
import { layout } from "../../lake/layout.ts";
import { createLocalStore } from "../../lake/store_local.ts";
import type { HealthSnapshot } from "../net/health.ts";
import { createProviderNet } from "./provider_net.ts";
import { currentProviderHealth, loadProviderHealth, saveProviderHealth } from "./provider_state.ts";

const health = (provider: string, calls: number, errorRate = 0): HealthSnapshot => ({
  provider,
  score: 1 - errorRate / 2,
  breaker: errorRate === 1 ? "open" : "closed",
  p50LatencyMs: calls ? 20 : null,
  errorRate,
  completeness: 1 - errorRate,
  quotaLeft: provider === "alphavantage" ? 23 : null,
  calls,
});

Deno.test("saveProviderHealth() keeps the last health of a provider the latest run did not call", async () => {
  const store = createLocalStore(await Deno.makeTempDir());
  const close = new Date("2026-12-01T22:30:00Z"), refresh = new Date("2026-12-02T11:00:00Z");
  // The daily close saw Yahoo fail; the next morning's symbol refresh called only Nasdaq Trader and SEC.
  await saveProviderHealth(store, [health("yahoo", 5, 1), health("sec", 0)], close);
  await saveProviderHealth(store, [health("yahoo", 0), health("sec", 1), health("nasdaqtrader", 2)], refresh);
  const saved = await loadProviderHealth(store);
  const by = new Map(saved?.providers.map((p) => [p.provider, p]));
  assert.equal(saved?.at, refresh.toISOString());
  assert.deepEqual([by.get("yahoo")?.errorRate, by.get("yahoo")?.breaker, by.get("yahoo")?.at], [
    1,
    "open",
    close.toISOString(),
  ]);
  assert.deepEqual([by.get("sec")?.calls, by.get("sec")?.at], [1, refresh.toISOString()]);
  assert.deepEqual([by.get("nasdaqtrader")?.calls, by.get("nasdaqtrader")?.at], [2, refresh.toISOString()]);
  assert.equal((await store.inspectLock(layout.lock("providers")))?.state, "free", "its lock released");
});

Deno.test("currentProviderHealth() reads each quota fresh: a run that saved no health may have spent it", async () => {
  const store = createLocalStore(await Deno.makeTempDir());
  await saveProviderHealth(store, [health("alphavantage", 3)]);
  const net = createProviderNet({ store });
  for (let i = 0; i < 4; i++) assert.ok(await net.guards.alphavantage.quota!.tryConsume());
  const left = async (callsPerDay: Record<string, number>) =>
    (await currentProviderHealth(store, { rateLimits: {}, callsPerDay }))?.providers
      .find((p) => p.provider === "alphavantage")?.quotaLeft;
  assert.equal(await left({}), 23 - 4);
  assert.equal(await left({ alphavantage: 100 }), 98 - 4, "against the configured quota");
});
