/**
 * Minute bars from Yahoo over real HTTP against the replay server: 7-day slices, Yahoo's 30-day
 * limit, agreement with Alpaca's bars for the same minutes, and failover from Alpaca to Yahoo
 * through the router.
 */
import assert from "node:assert/strict";
import { newYorkMidnightMs } from "../lake/calendar.ts";
import { isoToDays } from "../lake/schemas/columns.ts";
import { createLogger } from "../pipelines/log.ts";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { openLake } from "../lake/query.ts";
import { createLocalStore } from "../lake/store_local.ts";
import { ingestMinuteBars, type MinuteIngestOptions } from "../pipelines/jobs/ingest_minute.ts";
import { alpacaMinuteSource, yahooMinuteSource } from "../pipelines/jobs/minute_sources.ts";
import { createProviderNet } from "../pipelines/jobs/provider_net.ts";
import { startReplayServer } from "../pipelines/replay/server.ts";
import { minutesBetween, minutesOnDays } from "./support/simulated_minutes.ts";
import { withClockedReplay } from "./support/clocked_replay.ts";

const NOW = () => new Date("2024-03-05T23:00:00Z");

async function withReplay(fn: (url: string, requests: string[]) => Promise<void>) {
  const requests: string[] = [];
  const replay = await startReplayServer({
    port: 0,
    hostname: "127.0.0.1",
    now: NOW,
    middleware: [async (c, next) => {
      requests.push(c.req.url);
      await next();
    }],
  });
  try {
    await fn(replay.url, requests);
  } finally {
    await replay.close();
  }
}

async function rowsOf(root: string, sql: string) {
  const lake = await openLake({ store: createLocalStore(root), cacheDir: await Deno.makeTempDir() });
  try {
    return await lake.sql<Record<string, string | number>>(sql);
  } finally {
    lake.close();
  }
}

const minuteRows = (root: string) =>
  rowsOf(
    root,
    "SELECT symbol, ts, session, open, high, low, close, volume, source, raw_ref FROM minute_bars ORDER BY symbol, ts",
  );

const base = (root: string, extra: Partial<MinuteIngestOptions>): MinuteIngestOptions => ({
  store: createLocalStore(root),
  engine: createWasmEngine(),
  source: [],
  symbols: ["MSFT", "BRK.B"],
  // Ten sessions: 02-20..02-23 (02-19 was Presidents Day), 02-26..02-29, 03-01 and 03-04.
  from: "2024-02-20",
  to: "2024-03-04",
  now: NOW,
  ...extra,
});

Deno.test("Yahoo minute bars land in 7-day slices and equal Alpaca's bars for the same minutes", async () => {
  await withReplay(async (url, requests) => {
    const viaYahoo = await Deno.makeTempDir(), viaAlpaca = await Deno.makeTempDir();
    const yahoo = await ingestMinuteBars(base(viaYahoo, { source: yahooMinuteSource({ baseUrl: url, now: NOW }) }));
    const all = (symbol: string) => minutesOnDays(symbol, "2024-02-20", "2024-03-04", NOW());
    assert.deepEqual([yahoo.symbols_ok, yahoo.rows_inserted, yahoo.served_by], [2, all("MSFT") + all("BRK.B"), {
      yahoo: 4,
    }]);
    const slices = requests.filter((r) => r.includes("/v8/finance/chart/"));
    // February's window (02-20..02-29) takes two slices, March's one; BRK.B in Yahoo's spelling.
    assert.equal(slices.length, 2 * 3);
    assert.ok(slices.some((r) => r.includes("/chart/BRK-B?")) && slices.every((r) => r.includes("interval=1m")));
    for (const r of slices) {
      const q = new URL(r).searchParams;
      assert.ok(Number(q.get("period2")) - Number(q.get("period1")) <= 7 * 86_400, r);
    }

    await ingestMinuteBars(
      base(viaAlpaca, { source: alpacaMinuteSource({ baseUrl: url, keyId: "k", secret: "s", pageSize: 1000 }) }),
    );
    const [a, y] = [await minuteRows(viaAlpaca), await minuteRows(viaYahoo)];
    assert.equal(y.length, a.length);
    // Row by row (a deep diff of 7,800 rows would take minutes to print on failure).
    const values = ({ raw_ref: _, ...rest }: Record<string, unknown>) => JSON.stringify(rest);
    const differ = y.findIndex((r, i) => values(r) !== values(a[i]));
    assert.equal(differ, -1, `row ${differ}: yahoo ${values(y[differ] ?? {})} vs alpaca ${values(a[differ] ?? {})}`);
    assert.ok(y.every((r) => String(r.raw_ref).startsWith("raw/yahoo/chart_1m/") && r.source === "simulated"));
    // Yahoo sends no trade counts or VWAP: unknown (null), not zero; Alpaca's rows have both.
    const withExtras = async (root: string) =>
      (await rowsOf(root, "SELECT count(*) AS n FROM minute_bars WHERE trades IS NOT NULL OR vwap IS NOT NULL"))[0].n;
    assert.deepEqual([await withExtras(viaYahoo), await withExtras(viaAlpaca)], [0, a.length]);
  });
});

Deno.test("Yahoo's 30-day horizon: a month reaching past it lands from the horizon on and says so; a month wholly before fails unasked", async () => {
  await withReplay(async (url, requests) => {
    const root = await Deno.makeTempDir();
    const events: Record<string, unknown>[] = [];
    const log = createLogger({ write: (line) => events.push(JSON.parse(line)) });
    const summary = await ingestMinuteBars(
      base(root, { source: yahooMinuteSource({ baseUrl: url, now: NOW }), from: "2024-01-31", to: "2024-02-09", log }),
    );
    // Horizon: 30 days before NOW, plus the 10 minutes kept off its edge.
    const horizon = NOW().getTime() - 30 * 86_400_000 + 600_000;
    const end = newYorkMidnightMs(isoToDays("2024-02-10")) - 1;
    const expected = minutesBetween("MSFT", horizon, end, NOW()) + minutesBetween("BRK.B", horizon, end, NOW());
    assert.ok(expected > 0);
    assert.deepEqual([summary.rows_inserted, summary.symbol_months_clipped], [expected, 2]);
    // January ends before the horizon: each symbol fails there, saying why and what serves it, with no request.
    assert.deepEqual(summary.failures.map((f) => [f.symbol, f.reason]), [["BRK.B", "unavailable"], [
      "MSFT",
      "unavailable",
    ]]);
    assert.match(summary.failures[0].message, /2024-01.*keeps the last 30 days.*APCA_API_KEY_ID/);
    const slices = requests.map((r) => new URL(r).searchParams);
    assert.deepEqual(slices.map((q) => Number(q.get("period1"))), [horizon / 1000, horizon / 1000]);
    const clipped = events.filter((e) => e.event === "minute.clipped");
    assert.deepEqual(clipped.map((e) => [e.month, e.symbols, e.available_from]), [
      ["2024-02", 2, new Date(horizon).toISOString()],
    ]);
    const rows = await minuteRows(root);
    assert.ok(rows.every((r) => Date.parse(String(r.ts) + "Z") >= horizon), "nothing older than the horizon");
  });
});

Deno.test("Yahoo's own 422 past 30 days (our clock behind Yahoo's) is terminal, says so, and is kept in raw", async () => {
  await withReplay(async (url, requests) => {
    const root = await Deno.makeTempDir();
    const behind = () => new Date(NOW().getTime() - 86_400_000);
    const summary = await ingestMinuteBars(
      base(root, { source: yahooMinuteSource({ baseUrl: url, now: behind }), from: "2024-02-01", to: "2024-02-09" }),
    );
    assert.deepEqual([summary.symbols_ok, summary.rows_inserted], [0, 0]);
    assert.ok(summary.failures.every((f) => f.reason === "unprocessable"), JSON.stringify(summary.failures));
    assert.match(summary.failures[0].message, /within the last 30 days/);
    // One request per symbol: the error is terminal, not retried.
    assert.equal(requests.length, 2);
    assert.deepEqual(await createLocalStore(root).list("curated/"), []);
    assert.equal((await createLocalStore(root).list("raw/yahoo/chart_1m/")).length, 2 * 2, "each reply kept in raw");
  });
});

Deno.test("a Yahoo minute still under way when fetched is left out, and lands whole on the next run", async () => {
  // 10:00:30 New York on 2024-03-05: Yahoo's reply ends with the 10:00 minute so far.
  await withClockedReplay("2024-03-05T15:00:30Z", async ({ url, now, set }) => {
    const root = await Deno.makeTempDir();
    const opts = base(root, {
      source: yahooMinuteSource({ baseUrl: url, now }),
      symbols: ["MSFT"],
      from: "2024-03-05",
      to: "2024-03-05",
      now,
    });
    await ingestMinuteBars(opts);
    const raw = await createLocalStore(root).list("raw/yahoo/chart_1m/");
    const reply = raw.find((o) => !o.key.endsWith(".meta.json"))!;
    const sent = JSON.parse(new TextDecoder().decode((await createLocalStore(root).get(reply.key))!));
    assert.equal(sent.chart.result[0].timestamp.at(-1), Date.parse("2024-03-05T15:00:00Z") / 1000);
    const minutes = (await minuteRows(root)).map((r) => String(r.ts));
    assert.equal(minutes.at(-1), "2024-03-05T14:59:00");

    set("2024-03-05T15:02:00Z");
    await ingestMinuteBars(opts);
    const later = (await minuteRows(root)).map((r) => String(r.ts));
    assert.deepEqual(later.slice(-3), ["2024-03-05T14:59:00", "2024-03-05T15:00:00", "2024-03-05T15:01:00"]);
    assert.equal(new Set(later).size, later.length);
  });
});

Deno.test("with the router, a month Alpaca refuses (no keys) comes from Yahoo, and a month stays with one provider", async () => {
  await withReplay(async (url, requests) => {
    const root = await Deno.makeTempDir();
    const store = createLocalStore(root);
    const net = createProviderNet({ store });
    const summary = await ingestMinuteBars(base(root, {
      source: [alpacaMinuteSource({ baseUrl: url, pageSize: 500 }), yahooMinuteSource({ baseUrl: url, now: NOW })],
      net: { router: net.router, clock: net.clock },
      symbols: ["MSFT"],
    }));
    const all = minutesOnDays("MSFT", "2024-02-20", "2024-03-04", NOW());
    assert.deepEqual([summary.symbols_ok, summary.rows_inserted, summary.served_by], [1, all, { yahoo: 2 }]);
    // Each month: Alpaca's first page refused (403, not retried), then every slice from Yahoo.
    const alpaca = requests.filter((r) => r.includes("/v2/stocks/"));
    assert.equal(alpaca.length, 2);
    assert.equal((await store.list("raw/alpaca/bars_1min/")).length, 2 * 2, "the 403 replies are kept in raw");
    const rows = await minuteRows(root);
    assert.ok(rows.every((r) => String(r.raw_ref).startsWith("raw/yahoo/chart_1m/")));
  });
});
