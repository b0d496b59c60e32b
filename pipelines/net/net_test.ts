import assert from "node:assert/strict";
import { ProviderError } from "../sources/http.ts";
import { estimateBackfill, runBackfill } from "./backfill.ts";
import { createCircuitBreaker } from "./circuit_breaker.ts";
import { createFakeClock } from "./clock.ts";
import { createHealth } from "./health.ts";
import { createDailyQuota, memoryQuotaState, objectStoreQuotaState } from "./quota.ts";
import { createLocalStore } from "../../lake/store_local.ts";
import { StoreError } from "../../lake/store.ts";
import { createTokenBucket, DEFAULT_LIMITS, PUBLISHED_LIMITS, withinLimit } from "./rate_limiter.ts";
import { DEFAULT_RETRY, RetriesExhausted, withRetry } from "./retry.ts";
import { createRouter, NoProviderError } from "./router.ts";
import { planDailyRun } from "./tiers.ts";

const err = (reason: string, retriable: boolean) =>
  new ProviderError(reason, { provider: "p", status: 0, retriable, reason });

Deno.test("createTokenBucket() never grants more than capacity + rate x window in any window", async () => {
  const clock = createFakeClock(0);
  const limit = { capacity: 5, perSecond: 5 / 60 };
  const bucket = createTokenBucket(limit, clock);
  const grants: number[] = [];
  // A greedy caller: 305 back-to-back requests (the burst of 5 plus an hour at 5 a minute).
  await clock.run((async () => {
    for (let i = 0; i < 305; i++) {
      await bucket.take();
      grants.push(clock.now());
    }
  })());
  for (let i = 0; i < grants.length; i++) {
    for (const windowMs of [1_000, 60_000, 600_000]) {
      const inWindow = grants.filter((g) => g >= grants[i] && g < grants[i] + windowMs).length;
      assert.ok(
        inWindow <= limit.capacity + (windowMs / 1000) * limit.perSecond + 1e-9,
        `${inWindow} grants in ${windowMs} ms`,
      );
    }
  }
  // ... and it gets all of it: the 305th grant lands at one hour.
  assert.equal(grants[304], 3600_000);
});

/** When a greedy caller gets each of `n` grants from `bucket`. */
async function greedyGrants(limit: { capacity: number; perSecond: number }, n: number): Promise<number[]> {
  const clock = createFakeClock(0);
  const bucket = createTokenBucket(limit, clock);
  const grants: number[] = [];
  await clock.run((async () => {
    for (let i = 0; i < n; i++) {
      await bucket.take();
      grants.push(clock.now());
    }
  })());
  return grants;
}

/** The most grants that fall in any window [t, t + windowMs). */
const busiestWindow = (grants: number[], windowMs: number) =>
  Math.max(...grants.map((t) => grants.filter((g) => g >= t && g < t + windowMs).length));

Deno.test("the default buckets keep each provider's published limit in any window, and lose little of it", async () => {
  for (const [provider, published] of Object.entries(PUBLISHED_LIMITS)) {
    const windowMs = published.windowS * 1000;
    const grants = await greedyGrants(DEFAULT_LIMITS[provider], published.calls * 2);
    assert.equal(busiestWindow(grants, windowMs), published.calls, provider);
    // What the margin costs: two windows' worth of calls take less than three windows.
    assert.ok(grants.at(-1)! < 3 * windowMs, `${provider}: last grant at ${grants.at(-1)} ms`);
  }
  // A paid plan's limit: the burst is kept to a tenth of the calls.
  assert.deepEqual(withinLimit({ calls: 2, windowS: 1 }, 5), { capacity: 1, perSecond: 2 });
  assert.deepEqual(withinLimit({ calls: 150, windowS: 60 }, 10), { capacity: 10, perSecond: 141 / 60 });
  const paid = await greedyGrants(withinLimit({ calls: 150, windowS: 60 }, 10), 300);
  assert.equal(busiestWindow(paid, 60_000), 150);
});

Deno.test("createDailyQuota() stops at limit minus reserve, survives a restart, and resets the next day", async () => {
  const clock = createFakeClock(Date.UTC(2026, 0, 5, 10));
  const state = memoryQuotaState();
  const q1 = createDailyQuota({ limit: 500, reserve: 10, clock, state });
  let granted = 0;
  while (await q1.tryConsume()) granted++;
  assert.equal(granted, 490);
  // "Restart": a new quota over the same persisted state.
  const q2 = createDailyQuota({ limit: 500, reserve: 10, clock, state });
  assert.equal(await q2.tryConsume(), false);
  assert.equal(await q2.remaining(), 0);
  for (let i = 0; i < 10; i++) assert.equal(await q2.tryConsume(1, { emergency: true }), true);
  assert.equal(await q2.tryConsume(1, { emergency: true }), false);
  assert.equal(await q2.remaining(), 0, "the reserve spent too: none left, not fewer than none");
  await clock.advance(14 * 3600_000);
  assert.equal(await q2.remaining(), 490);
  assert.equal(await q2.tryConsume(), true);
  for (const reserve of [-1, 500, 501]) {
    assert.throws(() => createDailyQuota({ limit: 500, reserve, clock, state }), RangeError, String(reserve));
  }
});

Deno.test("createDailyQuota() over one lake from two processes at once grants the limit, not twice it", async () => {
  const root = await Deno.makeTempDir();
  const clock = createFakeClock(Date.UTC(2026, 0, 5, 10));
  // Two quotas over one lake, each with its own store: as two processes have.
  const quotas = [0, 1].map(() =>
    createDailyQuota({ limit: 12, reserve: 2, clock, state: objectStoreQuotaState(createLocalStore(root), "av") })
  );
  const granted = await Promise.all(quotas.map(async (q) => {
    let n = 0;
    for (let i = 0; i < 10; i++) if (await q.tryConsume()) n++;
    return n;
  }));
  assert.equal(granted[0] + granted[1], 10, granted.join(" + "));
  await Deno.remove(root, { recursive: true });
});

Deno.test("withRetry() backs off 60 s, 120 s, 300 s on rate limiting, then gives up", async () => {
  const clock = createFakeClock(0);
  const calls: number[] = [];
  const run = withRetry(() => {
    calls.push(clock.now());
    return Promise.reject(err("rate_limited", true));
  }, { clock });
  const e = await clock.run(run.then(() => "ok", (e) => e));
  assert.ok(e instanceof RetriesExhausted);
  assert.equal(e.attempts, 4);
  assert.deepEqual(calls, [0, 60_000, 180_000, 480_000]);
});

Deno.test("withRetry() retries transient faults 3 times and never retries terminal or malformed ones", async () => {
  const clock = createFakeClock(0);
  let n = 0;
  const run = withRetry(() => (++n < 4 ? Promise.reject(err("server_error", true)) : Promise.resolve("done")), {
    clock,
    random: () => 0,
  });
  assert.equal(await clock.run(run), "done");
  assert.equal(clock.now(), DEFAULT_RETRY.transientDelaysMs.reduce((a, b) => a + b));
  for (const reason of ["malformed", "not_found", "subscription", "premium"]) {
    let tries = 0;
    await assert.rejects(withRetry(() => (tries++, Promise.reject(err(reason, false))), { clock }), ProviderError);
    assert.equal(tries, 1, reason);
  }
});

Deno.test("createCircuitBreaker() opens after N failures, half-opens after the timeout, and closes on a good probe", () => {
  const clock = createFakeClock(0);
  const b = createCircuitBreaker({ failureThreshold: 3, openMs: 60_000, clock });
  b.failure();
  b.failure();
  assert.equal(b.state, "closed");
  b.failure();
  assert.equal(b.state, "open");
  assert.equal(b.allow(), false);
  clock.advance(60_000);
  assert.equal(b.state, "half_open");
  assert.equal(b.allow(), true, "one probe");
  assert.equal(b.allow(), false, "only one probe");
  b.failure();
  assert.equal(b.state, "open");
  clock.advance(60_000);
  assert.equal(b.allow(), true);
  b.success();
  assert.equal(b.state, "closed");
  assert.equal(b.allow(), true);
  // A success clears the count: failures must come N in a row again.
  b.failure();
  b.failure();
  assert.equal(b.state, "closed");
});

Deno.test("createRouter(): a provider saying its daily limit is spent is not asked again today, whatever our count", async () => {
  const clock = createFakeClock(Date.UTC(2026, 11, 3, 15));
  const state = memoryQuotaState();
  const quota = createDailyQuota({ limit: 25, reserve: 2, clock, state });
  const router = createRouter({
    clock,
    providers: {
      alphavantage: { breaker: createCircuitBreaker({ clock }), health: createHealth("alphavantage"), quota },
    },
  });
  let asked = 0;
  const spent = () => (asked++, Promise.reject(err("quota_exhausted", false)));
  await assert.rejects(router.run("eod", spent), NoProviderError);
  assert.equal(await quota.remaining(), 0, "our count of 1 call gave way to the provider's word");
  const again = await router.run("eod", spent).catch((e) => e);
  assert.ok(again instanceof NoProviderError && again.reasons.alphavantage === "daily quota spent", String(again));
  assert.equal(asked, 1, "not asked a second time");
  await clock.advance(9 * 3600_000);
  assert.equal(await quota.remaining(), 23, "a new UTC day");
});

/** A router over Yahoo, then Alpha Vantage, each breaker opening for 30 s after `failureThreshold` failures. */
function yahooThenAlphaVantage(failureThreshold: number) {
  const clock = createFakeClock(0);
  const guard = (name: string) => ({
    breaker: createCircuitBreaker({ failureThreshold, openMs: 30_000, clock }),
    health: createHealth(name),
  });
  return {
    clock,
    router: createRouter({ clock, providers: { yahoo: guard("yahoo"), alphavantage: guard("alphavantage") } }),
  };
}

Deno.test("createRouter(): a lake that refuses the reply fails the call as it is, with no failover and no mark against the provider", async () => {
  const { router } = yahooThenAlphaVantage(1);
  const full = new StoreError("Cannot write raw/x.json: the disk is full");
  const asked: string[] = [];
  await assert.rejects(router.run("eod", (p) => (asked.push(p), Promise.reject(full))), (e) => e === full);
  assert.deepEqual(asked, ["yahoo"]);
  const yahoo = router.snapshot().find((s) => s.provider === "yahoo")!;
  assert.equal(yahoo.breaker, "closed");
  assert.equal((await router.run("eod", (p) => Promise.resolve(p))).provider, "yahoo");
});

Deno.test("createRouter() fails over to the next provider and comes back after the breaker's probe succeeds", async () => {
  const { clock, router } = yahooThenAlphaVantage(2);
  let yahooUp = false;
  const call = (p: string) => (p === "yahoo" && !yahooUp ? Promise.reject(new Error("503")) : Promise.resolve(p));
  const served: string[] = [];
  for (let i = 0; i < 4; i++) served.push((await router.run("eod", call)).provider);
  assert.deepEqual(served, ["alphavantage", "alphavantage", "alphavantage", "alphavantage"]);
  const states = router.snapshot();
  assert.equal(states.find((s) => s.provider === "yahoo")?.breaker, "open");
  yahooUp = true;
  await clock.advance(30_000);
  assert.equal((await router.run("eod", call)).provider, "yahoo", "the half-open probe succeeds");
  assert.equal((await router.run("eod", call)).provider, "yahoo");
  yahooUp = false;
  await assert.rejects(
    createRouter({ clock, providers: {}, policy: { eod: ["yahoo"] } }).run("eod", call),
    /No provider could serve 'eod': yahoo: not configured/,
  );
});

Deno.test("health score follows the 0.45/0.25/0.20/0.10 weights", () => {
  const h = createHealth("x", { targetLatencyMs: 100 });
  assert.equal(h.snapshot("closed").score, 1);
  for (let i = 0; i < 5; i++) h.record(false, 1000);
  for (let i = 0; i < 5; i++) h.record(true, 1000);
  // breaker open 0, latency at 10x target 0, error rate 0.5, completeness 0.5
  assert.equal(h.snapshot("open").score, 0.15);
});

Deno.test("planDailyRun() matches the quota: A and B first, then tier C from the cursor, and says when it falls short", () => {
  const tierA = Array.from({ length: 600 }, (_, i) => `A${i}`);
  const tierB = ["A1", "W1", "W2"];
  const tierC = Array.from({ length: 5000 }, (_, i) => `C${i}`);
  const plan = planDailyRun({ tierA, tierB, tierC, cursor: 4990, budget: 1000 });
  assert.equal(plan.symbols.length, 1000);
  assert.equal(new Set(plan.symbols).size, 1000);
  assert.deepEqual(plan.tierCovered, { A: true, B: true });
  assert.equal(plan.tierC, 398);
  assert.deepEqual(plan.symbols.slice(602, 604), ["C4990", "C4991"]);
  assert.equal(plan.nextCursor, (4990 + 398) % 5000);
  assert.equal(plan.rotationDays, Math.ceil(5000 / 398));
  // Covering the tail: the rotation visits every tier-C symbol within rotationDays days.
  const seen = new Set<string>();
  let cursor = 0;
  for (let d = 0; d < plan.rotationDays!; d++) {
    const p = planDailyRun({ tierA, tierB, tierC, cursor, budget: 1000 });
    p.symbols.filter((s) => s.startsWith("C")).forEach((s) => seen.add(s));
    cursor = p.nextCursor;
  }
  assert.equal(seen.size, 5000);
  const short = planDailyRun({ tierA, tierB, tierC, cursor: 0, budget: 500 });
  assert.equal(short.symbols.length, 500);
  assert.equal(short.tierCovered.A, false);
  assert.match(short.shortfall!.message, /covers 500 of 602/);
});

Deno.test("planDailyRun() counts whole symbols, wraps a cursor past a shrunken tier C, and takes no symbol twice", () => {
  // Two calls a symbol and 7 calls: 3 symbols, not 4.
  const two = planDailyRun({
    tierA: ["A"],
    tierB: [],
    tierC: ["C0", "C1", "C2"],
    cursor: 0,
    budget: 7,
    callsPerSymbol: 2,
  });
  assert.deepEqual(two.symbols, ["A", "C0", "C1"]);
  // The universe shrank from 10 to 5 tier-C symbols since the cursor was saved at 7: it goes on from 7 mod 5.
  const tierC = ["C0", "C1", "C2", "C3", "C4"];
  const wrapped = planDailyRun({ tierA: [], tierB: [], tierC, cursor: 7, budget: 2 });
  assert.deepEqual([wrapped.symbols, wrapped.nextCursor], [["C2", "C3"], 4]);
  // A watchlist symbol also in the rotation is fetched once, and the rotation's slot goes to another.
  const overlap = planDailyRun({ tierA: ["A"], tierB: ["C0"], tierC, cursor: 0, budget: 4 });
  assert.deepEqual(overlap.symbols, ["A", "C0", "C1", "C2"]);
});

Deno.test("runBackfill() uses at least 99% of the allowed budget and never exceeds rate or quota", async () => {
  const clock = createFakeClock(Date.UTC(2026, 0, 5, 0));
  const limit = 500, reserve = 10, reservedForDaily = 100;
  // The daily jobs' share is taken off the top; backfill gets what is left.
  const quota = createDailyQuota({ limit: limit - reservedForDaily, reserve, clock, state: memoryQuotaState() });
  const bucket = createTokenBucket({ capacity: 1, perSecond: 5 / 60 }, clock);
  const symbols = Array.from({ length: 1900 }, (_, i) => `S${i}`);
  const stamps: number[] = [];
  const run = runBackfill(symbols, { clock, quota, bucket, call: () => (stamps.push(clock.now()), Promise.resolve()) });
  const { callsPerDay } = await clock.run(run);
  const allowed = limit - reservedForDaily - reserve;
  const days = [...callsPerDay.values()];
  assert.equal(days.reduce((a, b) => a + b), 1900);
  assert.ok(days.every((n) => n <= allowed), "never over the daily quota");
  const full = days.slice(0, -1);
  const utilisation = full.reduce((a, b) => a + b) / (full.length * allowed);
  assert.ok(utilisation >= 0.99, `utilisation ${utilisation}`);
  for (let i = 5; i < stamps.length; i++) {
    assert.ok(stamps[i] - stamps[i - 5] >= 48_000 - 1, "at most 5 calls a minute");
  }
  const [est] = estimateBackfill({
    symbols: 1900,
    providers: [{
      name: "alphavantage",
      callsPerSymbol: 1,
      dailyLimit: limit,
      reservedForDaily: reservedForDaily + reserve,
      perMinute: 5,
    }],
    now: new Date(Date.UTC(2026, 0, 5)),
  });
  assert.equal(est.quotaDays, days.length);
});
