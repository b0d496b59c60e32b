/**
 * reconcileDailyBars() and `deno task reconcile` over real HTTP: the demo lake (from the Yahoo
 * replay) against the replay's Alpha Vantage, which serves the same market, then against replies
 * with known differences made in them.
 */
import assert from "node:assert/strict";
import { readSymbolBars } from "../lake/daily_reader.ts";
import { type Lake, openLake } from "../lake/query.ts";
import { isoToDays } from "../lake/schemas/columns.ts";
import { createLocalStore } from "../lake/store_local.ts";
import { StoreError } from "../lake/store.ts";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { yahooDailySource } from "../pipelines/jobs/daily_sources.ts";
import { ingestDaily } from "../pipelines/jobs/ingest_daily.ts";
import { reconcileDailyBars } from "../pipelines/jobs/reconcile_daily.ts";
import { startReplayServer } from "../pipelines/replay/server.ts";
import { alphaVantageDailySource, createAlphaVantageClient } from "../pipelines/sources/alphavantage/client.ts";
import type { RawResponse } from "../pipelines/sources/http.ts";
import { runMain } from "./support/run_main.ts";
import { DEMO_NOW, makeDemoLake } from "./support/demo_lake.ts";

const { root, store } = await makeDemoLake();
const now = () => DEMO_NOW;

/** The lake's bars through the query API, as the CLI reads them. */
const barsOf = (lake: Lake) => (symbol: string, start: string, end: string) =>
  lake.getDailyBars({ symbols: [symbol], start, end });

/** A source whose reply body `edit` rewrites before the job sees it (as a provider's own data would differ). */
function edited<S extends { fetch: (...a: never[]) => Promise<RawResponse> }>(
  source: S,
  edit: (text: string) => string,
) {
  return {
    ...source,
    fetch: async (...a: Parameters<S["fetch"]>) => {
      const reply = await source.fetch(...a);
      return { ...reply, body: new TextEncoder().encode(edit(new TextDecoder().decode(reply.body))) };
    },
  };
}

Deno.test("reconcile: the lake agrees with a second provider serving the same market; the reply is kept in raw", async () => {
  const replay = await startReplayServer({ now });
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    const source = alphaVantageDailySource(createAlphaVantageClient({ baseUrl: replay.url, apiKey: "test" }));
    // NVDA's window is Yahoo's real recording, with its 4:1 split; S0001 is simulated.
    const report = await reconcileDailyBars({
      store,
      lakeBars: barsOf(lake),
      source,
      symbols: ["nvda", "S0001"],
      from: "2021-01-04",
      to: "2024-12-31",
      now,
    });
    const bars = await lake.getDailyBars({ symbols: ["NVDA", "S0001"], start: "2021-01-04", end: "2024-12-31" });
    assert.deepEqual([report.symbols_checked, report.failures, report.days_compared], [2, [], bars.length]);
    assert.deepEqual(Object.values(report.counts), [0, 0, 0, 0, 0, 0, 0]);
    assert.equal(report.raw_refs.length, 2);
    for (const key of report.raw_refs) assert.ok(await store.head(key), key);
  } finally {
    lake.close();
    await replay.close();
  }
});

Deno.test("reconcile: a lake that refuses the replies' writes ends the check, asking about no other symbol", async () => {
  const replay = await startReplayServer({ now });
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    const client = createAlphaVantageClient({ baseUrl: replay.url, apiKey: "test" });
    const asked: string[] = [];
    const source = alphaVantageDailySource({
      ...client,
      dailyAdjusted: (...a: Parameters<typeof client.dailyAdjusted>) => (asked.push(a[0]), client.dailyAdjusted(...a)),
    });
    const full = new StoreError("Cannot write raw/x: the disk is full");
    const filling = { ...store, put: () => Promise.reject(full) };
    await assert.rejects(
      reconcileDailyBars({
        store: filling,
        lakeBars: barsOf(lake),
        source,
        symbols: ["NVDA", "S0001"],
        from: "2024-01-02",
        to: "2024-12-31",
        now,
      }),
      (e) => e === full,
    );
    assert.deepEqual(asked, ["NVDA"]);
  } finally {
    lake.close();
    await replay.close();
  }
});

Deno.test("reconcile: a revised close, a missing day, a volume and a dividend the provider reports otherwise are each found once", async () => {
  const replay = await startReplayServer({ now });
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    const av = alphaVantageDailySource(createAlphaVantageClient({ baseUrl: replay.url, apiKey: "test" }));
    // CSV rows: timestamp,open,high,low,close,adjusted_close,volume,dividend_amount,split_coefficient.
    const source = edited(av, (csv) =>
      csv.split("\n").flatMap((line) => {
        const f = line.split(",");
        if (f[0] === "2024-06-04") return [];
        if (f[0] === "2024-06-03") f[4] = (Number(f[4]) * 1.01).toFixed(4);
        if (f[0] === "2024-06-05") f[6] = String(Math.round(Number(f[6]) * 1.05));
        if (f[0] === "2024-06-06") f[7] = "0.2500";
        return [f.join(",")];
      }).join("\n"));
    const report = await reconcileDailyBars({
      store,
      lakeBars: barsOf(lake),
      source,
      symbols: ["S0001"],
      from: "2024-06-01",
      to: "2024-06-30",
      now,
    });
    const found = report.discrepancies.map((d) => [d.difference, d.date]);
    assert.deepEqual(found, [
      ["missing_in_source", "2024-06-04"],
      ["price", "2024-06-03"],
      ["volume", "2024-06-05"],
      ["dividend", "2024-06-06"],
    ]);
    assert.match(report.discrepancies[1].detail, /^close \d+(\.\d+)? vs \d+(\.\d+)?$/);
  } finally {
    lake.close();
    await replay.close();
  }
});

Deno.test("reconcile: a session the lake lacks (a bar the ingest dropped) is missing_in_lake; a symbol the lake lacks fails alone", async () => {
  const replay = await startReplayServer({ now });
  const lakeRoot = await Deno.makeTempDir();
  const fresh = createLocalStore(lakeRoot);
  try {
    // Yahoo's reply with 2024-06-12's close nulled: the ingest drops that bar.
    const yahoo = edited(yahooDailySource({ baseUrl: replay.url, now }), (body) => {
      const json = JSON.parse(body);
      const r = json.chart.result[0];
      const i = r.timestamp.findIndex((t: number) => new Date(t * 1000).toISOString().startsWith("2024-06-12"));
      r.indicators.quote[0].close[i] = null;
      return JSON.stringify(json);
    });
    await ingestDaily({
      store: fresh,
      engine: createWasmEngine(),
      source: yahoo,
      symbols: ["S0002"],
      from: "2024-06-03",
      to: "2024-06-28",
      now,
    });
    const lake = await openLake({ store: fresh, cacheDir: await Deno.makeTempDir() });
    try {
      const av = alphaVantageDailySource(createAlphaVantageClient({ baseUrl: replay.url, apiKey: "test" }));
      const report = await reconcileDailyBars({
        store: fresh,
        lakeBars: barsOf(lake),
        source: av,
        symbols: ["S0002", "ZZZZ9"],
        from: "2024-06-01",
        to: "2024-06-30",
        now,
      });
      assert.deepEqual(report.discrepancies.map((d) => [d.difference, d.date]), [["missing_in_lake", "2024-06-12"]]);
      // ZZZZ9 has no bars in this lake: it fails, named, without a request, and S0002 is checked.
      assert.deepEqual([report.symbols_checked, report.failures.map((f) => [f.symbol, f.reason])], [1, [[
        "ZZZZ9",
        "no_bars",
      ]]]);
      assert.equal(report.raw_refs.length, 1);
    } finally {
      lake.close();
    }
    await assert.rejects(
      reconcileDailyBars({
        store: fresh,
        lakeBars: () => Promise.reject(new Error("not to be read")),
        source: yahoo,
        symbols: ["../x"],
        from: "2024-06-01",
        to: "2024-06-30",
        now,
      }),
      /looks like a path/,
    );
  } finally {
    await replay.close();
  }
});

Deno.test("reconcile on real data: Yahoo's AAPL replies around its 2020 split and dividend against Alpha Vantage's recorded series", async () => {
  // The replay serves Yahoo's real recording for AAPL from 2020-08-31 (its 4:1 split) to 2020-11-06
  // (a $0.205 dividend); Alpha Vantage's real full history to 2020-12-04 comes from a local server.
  const yahooNow = () => new Date("2025-02-05T23:00:00Z");
  const replay = await startReplayServer({ now: yahooNow });
  const recorded = await Deno.readFile(
    new URL("../pipelines/sources/alphavantage/testdata/daily_adjusted_AAPL_2020-12.csv", import.meta.url),
  );
  const av = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    const q = new URL(req.url).searchParams;
    return q.get("function") === "TIME_SERIES_DAILY_ADJUSTED" && q.get("symbol") === "AAPL"
      ? new Response(recorded, { headers: { "content-type": "application/x-download" } })
      : new Response("not recorded", { status: 404 });
  });
  const real = createLocalStore(await Deno.makeTempDir());
  try {
    const range = { from: "2020-08-31", to: "2020-11-06" };
    await ingestDaily({
      store: real,
      engine: createWasmEngine(),
      source: yahooDailySource({ baseUrl: replay.url, now: yahooNow }),
      symbols: ["AAPL"],
      ...range,
      now: yahooNow,
    });
    const lake = await openLake({ store: real, cacheDir: await Deno.makeTempDir() });
    try {
      const sources = await lake.sql<{ source: string }>("SELECT DISTINCT source FROM daily_bars");
      assert.deepEqual(sources, [{ source: "yahoo" }], "every bar is Yahoo's real reply");
      const source = alphaVantageDailySource(
        createAlphaVantageClient({ baseUrl: `http://127.0.0.1:${av.addr.port}`, apiKey: "test" }),
      );
      const check = (priceTolerance: number, volumeTolerance: number) =>
        reconcileDailyBars({
          store: real,
          // Read with the wasm engine alone, as the weekly cron reads on Deno Deploy.
          lakeBars: (symbol, start, end) =>
            readSymbolBars(real, createWasmEngine(), symbol, isoToDays(start), isoToDays(end)),
          source,
          symbols: ["AAPL"],
          ...range,
          priceTolerance,
          volumeTolerance,
          now,
        });
      // Measured: prices and adj_close within 0.45 basis points, volume within 0.98%; split and dividend alike.
      const close = await check(0.00005, 0.0098);
      assert.equal(close.days_compared, 49);
      assert.deepEqual(Object.values(close.counts), [0, 0, 0, 0, 0, 0, 0]);
      // The two providers are not identical to the last digit: the comparison sees that.
      const exact = await check(1e-9, 1e-9);
      assert.ok(
        exact.counts.price > 0 && exact.counts.adj_close > 0 && exact.counts.volume > 0,
        JSON.stringify(exact.counts),
      );
      assert.deepEqual([exact.counts.dividend, exact.counts.split, exact.counts.missing_in_source], [0, 0, 0]);
    } finally {
      lake.close();
    }
  } finally {
    await replay.close();
    await av.shutdown();
  }
});

Deno.test("deno task reconcile: prints the report, needs a key for Alpha Vantage, refuses an impossible range", async () => {
  const replay = await startReplayServer({ now });
  const env: Record<string, string> = { TICKLAKE_ALPHAVANTAGE_URL: replay.url, TICKLAKE_YAHOO_URL: replay.url };
  // The CLI reads its configuration from the environment, as it would in a shell.
  const run = (args: string[], extra: Record<string, string> = {}) =>
    runMain(["reconcile", "--lake", root, ...args], { ...env, ...extra });
  try {
    const ok = await run(["--symbols", "S0001", "--from", "2024-06-03", "--to", "2024-06-28", "--json"], {
      ALPHAVANTAGE_API_KEY: "test",
    });
    assert.equal(ok.code, 0, ok.err);
    const report = JSON.parse(ok.out);
    assert.deepEqual([report.provider, report.symbols_checked, report.days_compared], ["alphavantage", 1, 19]);
    const noKey = await run(["--symbols", "S0001"]);
    assert.notEqual(noKey.code, 0);
    assert.match(noKey.err, /ALPHAVANTAGE_API_KEY/);
    const notANumber = await run(["--symbols", "S0001", "--provider", "yahoo", "--tolerance", "5bp"]);
    assert.equal(notANumber.code, 2);
    assert.match(notANumber.err, /Cannot use --tolerance '5bp': expected a number, 0 or more/);
    const backwards = await run([
      "--symbols",
      "S0001",
      "--provider",
      "yahoo",
      "--from",
      "2024-06-28",
      "--to",
      "2024-06-03",
    ]);
    assert.notEqual(backwards.code, 0);
    assert.match(backwards.err, /Cannot reconcile range 2024-06-28\.\.2024-06-03: --from is after --to/);
  } finally {
    await replay.close();
  }
});
