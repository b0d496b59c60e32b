/**
 * The ingest against a replay server where 20% of Yahoo's replies are faulty: every symbol
 * finishes (through retries or failover to Alpha Vantage) or is recorded with its reason, no
 * malformed row reaches curated, and a rerun fills what is missing.
 */
import assert from "node:assert/strict";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { openLake } from "../lake/query.ts";
import { createLocalStore } from "../lake/store_local.ts";
import { yahooDailySource } from "../pipelines/jobs/daily_sources.ts";
import { ingestDaily } from "../pipelines/jobs/ingest_daily.ts";
import { createProviderNet } from "../pipelines/jobs/provider_net.ts";
import { alphaVantageDailySource, createAlphaVantageClient } from "../pipelines/sources/alphavantage/client.ts";
import { faultInjection } from "../pipelines/replay/faults.ts";
import { startReplayServer } from "../pipelines/replay/server.ts";
import { BROWSER_USER_AGENT } from "../pipelines/sources/yahoo/client.ts";
import { simulatedSymbols } from "../pipelines/jobs/universe.ts";

const NOW = () => new Date("2024-03-28T23:00:00Z");
const FAST_RETRY = { rateLimitedDelaysMs: [20, 40, 80], transientDelaysMs: [5, 10, 20], jitter: 0.2, maxWaitMs: 5_000 };
const FAST_LIMITS = { yahoo: { capacity: 50, perSecond: 500 }, alphavantage: { capacity: 50, perSecond: 500 } };

async function ohlcv(root: string) {
  const lake = await openLake({ store: createLocalStore(root), cacheDir: await Deno.makeTempDir() });
  try {
    return await lake.sql<{ k: string; source: string }>(
      `SELECT symbol || ' ' || date::VARCHAR || ' ' || open || ' ' || high || ' ' || low || ' ' || close || ' ' || volume AS k, source
       FROM daily_bars ORDER BY symbol, date`,
    );
  } finally {
    lake.close();
  }
}

Deno.test("ingestDaily() with 20% faulty Yahoo replies lands only clean rows and a rerun fills the gaps", async () => {
  const symbols = simulatedSymbols(40);
  const range = { from: "2024-01-02", to: "2024-03-28" };

  // The reference: the same market without faults.
  const clean = await startReplayServer({ now: NOW });
  const cleanRoot = await Deno.makeTempDir();
  await ingestDaily({
    store: createLocalStore(cleanRoot),
    engine: createWasmEngine(),
    source: yahooDailySource({ baseUrl: clean.url, now: NOW }),
    symbols,
    ...range,
    now: NOW,
  });
  await clean.close();

  const faults = faultInjection({
    seed: 11,
    paths: ["/v8/"],
    rates: { http429: 0.04, http5xx: 0.04, malformed: 0.04, truncated: 0.04, html: 0.04 },
  });
  const replay = await startReplayServer({ now: NOW, middleware: [faults.middleware] });
  // For the rerun, Yahoo is down altogether: whatever is still missing must come from Alpha Vantage.
  const yahooDown = faultInjection({ paths: ["/v8/"], rates: { http5xx: 1 } });
  const replayDown = await startReplayServer({ now: NOW, middleware: [yahooDown.middleware] });
  try {
    const root = await Deno.makeTempDir();
    const store = createLocalStore(root);
    const run = (url: string, withFailover: boolean) => {
      const net = createProviderNet({ store, limits: FAST_LIMITS, quotas: {}, breaker: { failureThreshold: 50 } });
      const yahoo = yahooDailySource({ baseUrl: url, now: NOW });
      const av = alphaVantageDailySource(createAlphaVantageClient({ baseUrl: url, apiKey: "test" }));
      return ingestDaily({
        store,
        engine: createWasmEngine(),
        source: withFailover ? [yahoo, av] : [yahoo],
        net: { router: net.router, clock: net.clock, retry: FAST_RETRY },
        symbols,
        ...range,
        now: NOW,
      });
    };
    const first = await run(replay.url, false);
    const injected = Object.values(faults.stats().faults).reduce((a, b) => a + b, 0);
    assert.ok(injected >= 5, `faults injected: ${JSON.stringify(faults.stats())}`);
    assert.ok(first.symbols_failed > 0, "malformed, truncated and HTML replies are recorded, not retried");
    assert.equal(first.symbols_ok + first.symbols_failed, 40);
    assert.ok(first.failures.every((f) => f.reason.length > 0 && f.message.length > 0), "every failure says why");

    const want = new Set((await ohlcv(cleanRoot)).map((r) => r.k));
    const got = await ohlcv(root);
    assert.ok(got.every((r) => want.has(r.k)), "every curated row equals the fault-free market's row");

    const rerun = await run(replayDown.url, true);
    assert.equal(rerun.resumed, true);
    assert.equal(rerun.symbols_skipped, first.symbols_ok, "only the failed symbols are fetched again");
    assert.equal(rerun.symbols_failed, 0, JSON.stringify(rerun.failures));
    const after = await ohlcv(root);
    assert.equal(after.length, want.size, "the rerun filled every gap");
    assert.ok(after.every((r) => want.has(r.k)));
    assert.equal(
      after.filter((r) => r.source === "alphavantage").length,
      first.symbols_failed * 61,
      "failover rows carry their provider",
    );
    assert.equal(new Set(after.map((r) => r.k)).size, after.length, "no duplicates");
  } finally {
    await replay.close();
    await replayDown.close();
  }
});

Deno.test("faultInjection() enforces Alpha Vantage's 5 calls a minute with a Note, and injects each fault kind", async () => {
  let t = 0;
  const av = faultInjection({
    enforceLimits: { "/query": { perMinute: 5, style: "avNote" } },
    now: () => t,
    paths: [],
  });
  const replay = await startReplayServer({ now: NOW, middleware: [av.middleware] });
  try {
    const bodies: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(
        `${replay.url}/query?function=TIME_SERIES_DAILY_ADJUSTED&symbol=IBM&datatype=csv&apikey=k`,
      );
      bodies.push((await res.text()).slice(0, 20));
    }
    assert.equal(bodies.filter((b) => b.startsWith("timestamp")).length, 5);
    assert.match(bodies[5], /"Note"/);
    t = 61_000;
    const again =
      await (await fetch(`${replay.url}/query?function=TIME_SERIES_DAILY_ADJUSTED&symbol=IBM&datatype=csv&apikey=k`))
        .text();
    assert.ok(again.startsWith("timestamp"));
    assert.equal(av.stats().limited, 1);
  } finally {
    await replay.close();
  }
  for (const kind of ["http429", "avNote", "http5xx", "malformed", "truncated", "html"] as const) {
    const f = faultInjection({ rates: { [kind]: 1 } });
    const server = await startReplayServer({ now: NOW, middleware: [f.middleware] });
    try {
      const res = await fetch(`${server.url}/v8/finance/chart/AAPL?period1=1704153600&period2=1711670400&interval=1d`, {
        headers: { "user-agent": BROWSER_USER_AGENT },
      });
      const text = await res.text();
      let parsed = true;
      try {
        JSON.parse(text).chart.result[0].meta.symbol;
      } catch {
        parsed = false;
      }
      assert.ok(!parsed || res.status !== 200, `${kind} must not look like a good reply`);
      assert.equal(f.stats().faults[kind], 1, kind);
    } finally {
      await server.close();
    }
  }
});

Deno.test("a stalled reply times out and is retried: the symbol still lands", async () => {
  const stall = faultInjection({ seed: 3, paths: ["/v8/"], rates: { stall: 1 }, stallMs: 400 });
  let calls = 0;
  const once: typeof stall.middleware = async (
    c,
    next,
  ) => (++calls === 1 ? await stall.middleware(c, next) : await next());
  const replay = await startReplayServer({ now: NOW, middleware: [once] });
  try {
    const store = createLocalStore(await Deno.makeTempDir());
    const net = createProviderNet({ store, limits: FAST_LIMITS, quotas: {} });
    const s = await ingestDaily({
      store,
      engine: createWasmEngine(),
      source: yahooDailySource({ baseUrl: replay.url, now: NOW, timeoutMs: 100 }),
      net: { router: net.router, clock: net.clock, retry: FAST_RETRY },
      symbols: ["S0007"],
      from: "2024-03-01",
      to: "2024-03-28",
      now: NOW,
    });
    assert.equal(stall.stats().faults.stall, 1);
    assert.equal(calls, 2, "one stalled attempt, one retry");
    assert.equal(s.symbols_ok, 1);
    assert.equal(s.rows_inserted, 20);
    // Let the stalled handler finish before the server closes.
    await new Promise((r) => setTimeout(r, 450));
  } finally {
    await replay.close();
  }
});

Deno.test("ingestDaily() failing over to an Alpha Vantage whose daily limit runs out asks it once more, not once per symbol", async () => {
  // Yahoo is down; Alpha Vantage serves two calls, then says the key's daily limit is spent.
  const yahooDown = faultInjection({ paths: ["/v8/"], rates: { http5xx: 1 } });
  const avDay = faultInjection({ paths: [], enforceLimits: { "/query": { perDay: 2, style: "avNote" } } });
  const replay = await startReplayServer({ now: NOW, middleware: [yahooDown.middleware, avDay.middleware] });
  try {
    const store = createLocalStore(await Deno.makeTempDir());
    const net = createProviderNet({
      store,
      limits: FAST_LIMITS,
      quotas: { alphavantage: { limit: 25, reserve: 0 } },
      breaker: { failureThreshold: 50 },
    });
    const summary = await ingestDaily({
      store,
      engine: createWasmEngine(),
      source: [
        yahooDailySource({ baseUrl: replay.url, now: NOW }),
        alphaVantageDailySource(createAlphaVantageClient({ baseUrl: replay.url, apiKey: "test" })),
      ],
      net: { router: net.router, clock: net.clock, retry: FAST_RETRY },
      symbols: simulatedSymbols(6),
      from: "2024-01-02",
      to: "2024-03-28",
      now: NOW,
      concurrency: 1,
    });
    assert.equal(avDay.stats().limited, 1, "asked once after the limit, then left alone");
    assert.deepEqual([summary.symbols_ok, summary.symbols_failed], [2, 4]);
    const said = (text: string) => summary.failures.filter((f) => f.message.includes(text)).length;
    assert.deepEqual([said("daily limit for this key is spent"), said("daily quota spent")], [1, 3]);
    assert.equal(await net.guards.alphavantage.quota!.remaining(), 0);
  } finally {
    await replay.close();
  }
});
