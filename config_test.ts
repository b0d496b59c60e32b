import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "./config.ts";

Deno.test("loadConfig() reads paid-plan rate limits and daily quotas per provider", () => {
  const { net } = loadConfig({
    TICKLAKE_RATE_LIMITS: "alphavantage:75/min, yahoo:1.5/s",
    TICKLAKE_DAILY_QUOTAS: "alphavantage:0",
  });
  assert.deepEqual(net, {
    rateLimits: { alphavantage: { calls: 75, windowS: 60 }, yahoo: { calls: 1.5, windowS: 1 } },
    callsPerDay: { alphavantage: 0 },
  });
  assert.deepEqual(loadConfig({}).net, { rateLimits: {}, callsPerDay: {} });
});

Deno.test("loadConfig() refuses a limit without its unit, a provider it does not call, and negative values", () => {
  for (
    const [name, value] of [
      ["TICKLAKE_RATE_LIMITS", "alphavantage:75"],
      ["TICKLAKE_RATE_LIMITS", "bing:1/s"],
      ["TICKLAKE_RATE_LIMITS", "yahoo:0/s"],
      ["TICKLAKE_DAILY_QUOTAS", "alphavantage:-1"],
      ["TICKLAKE_DAILY_QUOTAS", "alphavantage:lots"],
      ["TICKLAKE_LOCK_WAIT_S", "-1"],
    ]
  ) {
    assert.throws(
      () => loadConfig({ [name]: value }),
      (e) => e instanceof ConfigError && e.message.includes(name),
      value,
    );
  }
});

Deno.test("loadConfig() takes a User-Agent for Yahoo, and refuses a blank one", () => {
  assert.equal(
    loadConfig({ TICKLAKE_YAHOO_USER_AGENT: "Mozilla/5.0 (X11) mine" }).providers.yahooUserAgent,
    "Mozilla/5.0 (X11) mine",
  );
  // Unset, the Yahoo client sends its own browser User-Agent.
  assert.equal(loadConfig({}).providers.yahooUserAgent, undefined);
  assert.throws(
    () => loadConfig({ TICKLAKE_YAHOO_USER_AGENT: "  " }),
    (e) => e instanceof ConfigError && e.message.includes("TICKLAKE_YAHOO_USER_AGENT"),
  );
});
