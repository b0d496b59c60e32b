import assert from "node:assert/strict";
import { createLocalStore } from "../../lake/store_local.ts";
import { DEFAULT_LIMITS } from "../net/rate_limiter.ts";
import { createProviderNet, DEFAULT_QUOTAS, netOptions } from "./provider_net.ts";

Deno.test("netOptions() replaces the free tiers' limits and quotas the configuration names, and only those", async () => {
  const none = netOptions({ rateLimits: {}, callsPerDay: {} });
  assert.deepEqual(none, { limits: DEFAULT_LIMITS, quotas: DEFAULT_QUOTAS });

  // A premium Alpha Vantage plan: 75 calls a minute, no daily limit.
  const paid = netOptions({
    rateLimits: { alphavantage: { calls: 75, windowS: 60 } },
    callsPerDay: { alphavantage: 0 },
  });
  assert.deepEqual(paid.limits.alphavantage, { capacity: 1, perSecond: 1.25 });
  assert.deepEqual(paid.limits.yahoo, DEFAULT_LIMITS.yahoo);
  const store = createLocalStore(await Deno.makeTempDir());
  assert.equal(createProviderNet({ store, ...paid }).guards.alphavantage.quota, undefined, "no daily quota");

  const larger = netOptions({ rateLimits: {}, callsPerDay: { alphavantage: 500 } });
  assert.deepEqual(larger.quotas.alphavantage, { limit: 500, reserve: DEFAULT_QUOTAS.alphavantage.reserve });
  assert.equal(await createProviderNet({ store, ...larger }).guards.alphavantage.quota!.remaining(), 498);
});
