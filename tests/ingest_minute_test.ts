/**
 * End-to-end minute-bar ingest over real HTTP against the replay server's Alpaca endpoint into a
 * local lake: paging, month partitions, lineage, rerun idempotency, failure isolation and hostile
 * input.
 */
import assert from "node:assert/strict";
import type { MiddlewareHandler } from "hono";
import { loadConfig } from "../config.ts";
import type { ParquetEngine } from "../lake/parquet/engine.ts";
import { sliceBatch } from "../lake/schemas/columns.ts";
import { createDuckDbEngine } from "../lake/parquet/duckdb_engine.ts";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { type MinuteBarsQuery, openLake } from "../lake/query.ts";
import { createLocalStore } from "../lake/store_local.ts";
import { SymbolError } from "../lake/symbol.ts";
import { StoreError } from "../lake/store.ts";
import { ingestMinuteBars, type MinuteIngestOptions, monthWindows } from "../pipelines/jobs/ingest_minute.ts";
import { runMinuteClose } from "../pipelines/jobs/minute_close.ts";
import { createLogger, silentLogger } from "../pipelines/log.ts";
import { alpacaMinuteSource, yahooMinuteSource } from "../pipelines/jobs/minute_sources.ts";
import { startReplayServer } from "../pipelines/replay/server.ts";
import { seriesFor } from "../pipelines/replay/series.ts";
import { minutesBetween, minutesOnDays } from "./support/simulated_minutes.ts";
import { killMainWhen } from "./support/kill_mid_run.ts";
import { listRuns } from "../lake/runs.ts";

const NOW = () => new Date("2024-03-05T23:00:00Z");

async function withReplay(fn: (url: string) => Promise<void>, middleware: MiddlewareHandler[] = []) {
  const replay = await startReplayServer({ port: 0, hostname: "127.0.0.1", now: NOW, middleware });
  try {
    await fn(replay.url);
  } finally {
    await replay.close();
  }
}

function options(url: string, root: string, extra: Partial<MinuteIngestOptions> = {}): MinuteIngestOptions {
  return {
    store: createLocalStore(root),
    engine: createWasmEngine(),
    source: alpacaMinuteSource({ baseUrl: url, keyId: "k", secret: "s", pageSize: 500 }),
    symbols: ["AAPL", "BRK.B"],
    // 2024-02-28 .. 2024-03-04: four sessions across a month boundary.
    from: "2024-02-28",
    to: "2024-03-04",
    now: NOW,
    ...extra,
  };
}

Deno.test("ingestMinuteBars() lands every minute once, paged, in month partitions, and a rerun changes nothing", async () => {
  await withReplay(async (url) => {
    const root = await Deno.makeTempDir();
    const first = await ingestMinuteBars(options(url, root));
    // 4 sessions of 390 regular minutes for each of 2 symbols, with their thin pre- and post-market,
    // in pages of 500 per symbol and month.
    const symbols = ["AAPL", "BRK.B"];
    const perWindow = monthWindows("2024-02-28", "2024-03-04").flatMap((w) =>
      symbols.map((s) => minutesBetween(s, Date.parse(w.start), Date.parse(w.end), NOW()))
    );
    const total = perWindow.reduce((a, b) => a + b, 0);
    const pages = perWindow.reduce((n, bars) => n + Math.max(1, Math.ceil(bars / 500)), 0);
    assert.ok(total > 3120 && total < 3120 * 1.5, `${total} minutes`);
    assert.deepEqual(
      [first.symbols_ok, first.pages, first.bars_fetched, first.rows_inserted, first.partitions_written],
      [2, pages, total, total, 2],
    );
    const store = createLocalStore(root);
    assert.deepEqual(
      (await store.list("curated/minute_bars/")).map((o) => o.key),
      ["curated/minute_bars/month=2024-02/data.parquet", "curated/minute_bars/month=2024-03/data.parquet"],
    );

    const again = await ingestMinuteBars(options(url, root));
    assert.deepEqual([again.rows_inserted, again.rows_updated, again.rows_unchanged, again.partitions_written], [
      0,
      0,
      total,
      0,
    ]);

    const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
    try {
      const [counts] = await lake.sql<Record<string, number>>(
        `SELECT count(*) AS n, count(DISTINCT (symbol, ts)) AS keys, count(*) FILTER (WHERE session = 'regular') AS regular,
          count(*) FILTER (WHERE source = 'simulated') AS simulated,
          count(*) FILTER (WHERE low > least(open, close) OR high < greatest(open, close)) AS inconsistent
         FROM minute_bars`,
      );
      assert.deepEqual(counts, { n: total, keys: total, regular: 3120, simulated: total, inconsistent: 0 });
      // Every row points at a raw page that exists.
      const refs = await lake.sql<{ raw_ref: string }>("SELECT DISTINCT raw_ref FROM minute_bars");
      assert.equal(refs.length, pages);
      for (const { raw_ref } of refs) assert.ok(await store.head(raw_ref), raw_ref);
      // Each session's minutes span exactly that day's simulated daily bar.
      const days = await lake.sql<{ symbol: string; day: string; o: number; h: number; l: number; c: number }>(
        `SELECT symbol, (ts::DATE)::VARCHAR AS day, first(open ORDER BY ts)::DOUBLE AS o, max(high)::DOUBLE AS h,
          min(low)::DOUBLE AS l, last(close ORDER BY ts)::DOUBLE AS c FROM minute_bars WHERE session = 'regular'
         GROUP BY ALL ORDER BY ALL`,
      );
      assert.equal(days.length, 8);
      for (const d of days) {
        const s = seriesFor(d.symbol, 1, Math.floor(NOW().getTime() / 86_400_000));
        const i = s.days.indexOf(Date.parse(`${d.day}T00:00:00Z`) / 86_400_000);
        assert.deepEqual([d.o, d.h, d.l, d.c], [s.open[i], s.high[i], s.low[i], s.close[i]], `${d.symbol} ${d.day}`);
      }

      // The typed accessor: New York days, any spelling of a symbol, UTC minutes with a Z.
      // A New York day: its pre-market, its session, and its post-market past midnight UTC.
      const leap = await lake.getMinuteBars({ symbols: ["brk-b"], start: "2024-02-29", end: "2024-02-29" });
      assert.equal(leap.length, minutesOnDays("BRK.B", "2024-02-29", "2024-02-29", NOW()));
      assert.deepEqual([leap[0].symbol, leap[0].session, leap.at(-1)!.session], ["BRK.B", "pre", "post"]);
      const lastTs = leap.at(-1)!.ts;
      assert.ok(lastTs > "2024-03-01T00:00:00Z" && lastTs < "2024-03-01T01:00:00Z", lastTs);
      const regular = leap.filter((b) => b.session === "regular");
      assert.deepEqual([regular.length, regular[0].ts, regular.at(-1)!.ts], [
        390,
        "2024-02-29T14:30:00Z",
        "2024-02-29T20:59:00Z",
      ]);
      assert.equal(typeof leap[0].trades, "number");
      const both = await lake.getMinuteBars({ symbols: ["AAPL", "BRK.B"], start: "2024-03-01", sessions: ["regular"] });
      assert.deepEqual([both.length, both[0].symbol, both.at(-1)!.symbol], [4 * 390, "AAPL", "BRK.B"]);
      const extended = await lake.getMinuteBars({ symbols: ["AAPL"], sessions: ["pre", "post"] });
      assert.equal(extended.length, minutesOnDays("AAPL", "2024-02-28", "2024-03-04", NOW()) - 4 * 390);
      // A day runs midnight to midnight in New York (the UTC bounds move with daylight saving on 03-10),
      // so a day's post-market minutes after 00:00 UTC stay in it.
      const { params } = lake.minuteBarsSql({ symbols: ["AAPL"], start: "2024-03-08", end: "2024-03-11" });
      assert.deepEqual(params, ["AAPL", "2024-03-08 05:00:00", "2024-03-12 04:00:00"]);
      const refused: [MinuteBarsQuery, RegExp][] = [
        [{ symbols: ["AAPL"], start: "2024-03-04", end: "2024-02-28" }, /start is after end/],
        [{ symbols: ["AAPL"], start: "2024-02-30" }, /no such calendar day/],
        [{ symbols: ["AAPL"], sessions: ["lunch" as "pre"] }, /session 'lunch'/],
        [{ symbols: ["../x"] }, /looks like a path/],
      ];
      for (const [q, message] of refused) await assert.rejects(() => lake.getMinuteBars(q), message);
    } finally {
      lake.close();
    }
  });
});

for (const make of [createWasmEngine, createDuckDbEngine]) {
  Deno.test(`ingestMinuteBars() merges into a month as a stream (${make().name} engine): symbols land between existing ones, no partition is decoded, read or written whole`, async () => {
    await withReplay(async (url) => {
      const root = await Deno.makeTempDir();
      // The engine, watched: a whole-partition decode fails the test, the partition is read in
      // pieces of 100 rows, and the largest batch the partition's sink takes is recorded.
      const base = make();
      let largest = 0;
      const engine: ParquetEngine = {
        ...base,
        decode: () => Promise.reject(new Error("a minute partition was decoded whole")),
        async *decodePieces(file, spec) {
          for await (const p of base.decodePieces(file, spec)) {
            for (let at = 0; at < p.length; at += 100) yield sliceBatch(p, at, Math.min(p.length, at + 100));
          }
        },
        sink(spec, out, options) {
          const inner = base.sink(spec, out, options);
          return { ...inner, append: (b) => (largest = Math.max(largest, b.length), inner.append(b)) };
        },
      };
      // The store, watched: a partition read or written as one object fails the test.
      const local = createLocalStore(root);
      const whole = (key: string) => key.startsWith("curated/") && Promise.reject(new Error(`${key} taken whole`));
      const store = {
        ...local,
        get: (key: string) => whole(key) || local.get(key),
        put: (key: string, body: Uint8Array | string) => whole(key) || local.put(key, body),
      };
      await ingestMinuteBars(options(url, root, { engine, store, symbols: ["AAPL", "MSFT"] }));
      // AMZN and BRK.B sort between the two symbols already there; AAPL comes again, unchanged.
      const second = await ingestMinuteBars(options(url, root, { engine, store, symbols: ["BRK.B", "AAPL", "AMZN"] }));
      const all = ["AAPL", "AMZN", "BRK.B", "MSFT"];
      const symbolMonths = monthWindows("2024-02-28", "2024-03-04").flatMap((w) =>
        all.map((s) => minutesBetween(s, Date.parse(w.start), Date.parse(w.end), NOW()))
      );
      assert.ok(
        largest > 0 && largest <= Math.max(...symbolMonths),
        `${largest} rows at once`,
      );
      const total = all.reduce((n, s) => n + minutesOnDays(s, "2024-02-28", "2024-03-04", NOW()), 0);
      const aapl = minutesOnDays("AAPL", "2024-02-28", "2024-03-04", NOW());
      assert.deepEqual([second.rows_unchanged, second.rows_updated, second.partitions_written], [aapl, 0, 2]);

      const lake = await openLake({ store: local, cacheDir: await Deno.makeTempDir() });
      try {
        // In file order, each partition is sorted by (symbol, ts) with one row per key.
        const [order] = await lake.sql<Record<string, number>>(
          `SELECT count(*) AS n, count(DISTINCT (symbol, ts)) AS keys,
          count(*) FILTER (WHERE prev_symbol > symbol OR (prev_symbol = symbol AND prev_ts >= ts)) AS out_of_order
         FROM (SELECT symbol, ts, lag(symbol) OVER w AS prev_symbol, lag(ts) OVER w AS prev_ts
               FROM read_parquet('${root}/curated/minute_bars/*/data.parquet', filename = true,
                 file_row_number = true)
               WINDOW w AS (PARTITION BY filename ORDER BY file_row_number))`,
        );
        assert.deepEqual(order, { n: total, keys: total, out_of_order: 0 });
      } finally {
        lake.close();
      }
    });
  });
}

Deno.test("ingestMinuteBars() after a month's write failed: the rerun parses the pages it kept, and fetches a symbol whose page is gone", async () => {
  const requests: URL[] = [];
  await withReplay(async (url) => {
    const root = await Deno.makeTempDir();
    const store = createLocalStore(root);
    const march = "curated/minute_bars/month=2024-03/data.parquet";
    const full = {
      ...store,
      openWrite(key: string) {
        const w = store.openWrite(key);
        if (key !== march) return w;
        return {
          ...w,
          write: () => Promise.reject(new Deno.errors.WriteZero("No space left on device (os error 28)")),
        };
      },
    };
    await assert.rejects(ingestMinuteBars(options(url, root, { store: full })), /No space left on device/);
    assert.equal(await store.head(march), undefined);
    const [cpObject] = await store.list("state/checkpoints/ingest_minute/");
    const cp = JSON.parse(new TextDecoder().decode((await store.get(cpObject.key))!));
    assert.deepEqual(Object.keys(cp.fetched["2024-03"]).sort(), ["AAPL", "BRK.B"]);
    const lost = cp.fetched["2024-03"]["BRK.B"].pages[0];
    await store.delete(lost);

    requests.length = 0;
    const events: Record<string, unknown>[] = [];
    const log = createLogger({ write: (line) => events.push(JSON.parse(line)) });
    const rerun = await ingestMinuteBars(options(url, root, { log }));
    assert.deepEqual([rerun.resumed, rerun.symbol_months_skipped, rerun.symbol_months_reparsed], [true, 2, 1]);
    // Only BRK.B's March pages, in pages of 500, were asked for again.
    const window = { from: Date.parse("2024-03-01T00:00:00Z"), to: Date.parse("2024-03-05T04:59:59Z") };
    const pages = Math.ceil(minutesBetween("BRK.B", window.from, window.to, NOW()) / 500);
    const asked = requests.map((u) => decodeURIComponent(u.pathname.split("/")[3]));
    assert.deepEqual(asked, Array(pages).fill("BRK.B"));
    assert.deepEqual(events.filter((e) => e.event === "minute.reparse_failed").map((e) => e.symbol), ["BRK.B"]);
    const expected = monthWindows("2024-02-28", "2024-03-04").flatMap((w) =>
      ["AAPL", "BRK.B"].map((s) => minutesBetween(s, Date.parse(w.start), Date.parse(w.end), NOW()))
    ).reduce((a, b) => a + b, 0);
    const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
    try {
      const [counts] = await lake.sql<{ n: number; keys: number; lost: number }>(
        `SELECT count(*) AS n, count(DISTINCT (symbol, ts)) AS keys, count(*) FILTER (WHERE raw_ref = $1) AS lost
         FROM minute_bars`,
        [lost],
      );
      assert.deepEqual(counts, { n: expected, keys: expected, lost: 0 });
    } finally {
      lake.close();
    }
  }, [async (c, next) => {
    requests.push(new URL(c.req.url));
    await next();
  }]);
});

Deno.test("ingestMinuteBars() records a symbol the provider fails, lands the others, and a rerun fetches only what failed", async () => {
  let failing = true;
  const requested: string[] = [];
  const failMsft: MiddlewareHandler = async (c, next) => {
    requested.push(c.req.path);
    if (failing && c.req.path.startsWith("/v2/stocks/MSFT/")) return c.json({ message: "internal error" }, 500);
    await next();
  };
  await withReplay(async (url) => {
    const root = await Deno.makeTempDir();
    const run = () => ingestMinuteBars(options(url, root, { symbols: ["MSFT", "AAPL"], to: "2024-02-29" }));
    const summary = await run();
    const [aapl, msft] = ["AAPL", "MSFT"].map((s) => minutesOnDays(s, "2024-02-28", "2024-02-29", NOW()));
    assert.deepEqual([summary.symbols_ok, summary.symbols_failed, summary.rows_inserted], [1, 1, aapl]);
    assert.deepEqual([summary.failures[0].symbol, summary.failures[0].reason], ["MSFT", "server_error"]);
    assert.equal(summary.resumed, false);

    // The provider recovers: the rerun resumes the run and asks for MSFT alone, in both months.
    failing = false;
    requested.length = 0;
    const rerun = await run();
    assert.equal(rerun.run_id, summary.run_id);
    assert.deepEqual([rerun.resumed, rerun.symbol_months_skipped, rerun.symbols_ok], [true, 2, 2]);
    assert.deepEqual([rerun.rows_inserted, rerun.rows_unchanged], [msft, 0]);
    assert.ok(requested.length >= 2 && requested.every((p) => p.startsWith("/v2/stocks/MSFT/")), requested.join());

    // A clean run closes its checkpoint: the next run with the same parameters starts afresh.
    const store = createLocalStore(root);
    assert.deepEqual(await store.list("state/checkpoints/"), []);
    const fresh = await run();
    assert.deepEqual([fresh.resumed, fresh.symbol_months_skipped, fresh.rows_unchanged], [false, 0, aapl + msft]);
    assert.notEqual(fresh.run_id, summary.run_id);
  }, [failMsft]);
});

Deno.test("ingestMinuteBars() stopped mid-month lands the month's fetched symbols, starts no later month, and the rerun resumes", async () => {
  const stop = new AbortController();
  const held = Promise.withResolvers<void>();
  let waited = false;
  const timer = setTimeout(() => (waited = true, held.resolve()), 5000);
  const starts: string[] = [];
  const holdBrkInFebruary: MiddlewareHandler = async (c, next) => {
    starts.push(c.req.query("start") ?? "");
    if (c.req.path.startsWith("/v2/stocks/BRK.B/") && c.req.query("start")?.startsWith("2024-02")) {
      stop.abort();
      await held.promise;
    }
    await next();
  };
  await withReplay(async (url) => {
    const root = await Deno.makeTempDir();
    const store = createLocalStore(root);
    const symbols = ["MSFT", "AAPL", "BRK.B"];
    const stopped = await ingestMinuteBars(options(url, root, { symbols, stop: stop.signal }));
    assert.equal(waited, false, "the stop waited for the symbol-month in flight");
    clearTimeout(timer);
    held.resolve();
    await new Promise((r) => setTimeout(r, 300)); // the held symbol-month finishes its fetch, unused
    const [february] = monthWindows("2024-02-28", "2024-03-04");
    const aaplFebruary = minutesBetween("AAPL", Date.parse(february.start), Date.parse(february.end), NOW());
    assert.deepEqual(
      [stopped.symbols_ok, stopped.symbols_failed, stopped.symbols_pending, stopped.rows_inserted],
      [0, 0, 3, aaplFebruary],
    );
    assert.deepEqual(
      (await store.list("curated/minute_bars/")).map((o) => o.key),
      ["curated/minute_bars/month=2024-02/data.parquet"],
    );
    assert.equal((await listRuns(store))[0].status, "stopped");
    assert.deepEqual(starts.filter((t) => !t.startsWith("2024-02")), [], "nothing was asked for March");

    const rerun = await ingestMinuteBars(options(url, root, { symbols }));
    assert.deepEqual([rerun.resumed, rerun.symbol_months_skipped, rerun.symbols_ok], [true, 1, 3]);
    const all = symbols.reduce((n, s) => n + minutesOnDays(s, "2024-02-28", "2024-03-04", NOW()), 0);
    assert.equal(rerun.rows_inserted, all - aaplFebruary);
    assert.deepEqual(await store.list("state/checkpoints/"), []);
  }, [holdBrkInFebruary]);
});

Deno.test("ingestMinuteBars() ends at a lake that refuses writes, asking no other symbol or provider", async () => {
  const requests: string[] = [];
  const count: MiddlewareHandler = async (c, next) => (requests.push(c.req.path), await next());
  await withReplay(async (url) => {
    const local = createLocalStore(await Deno.makeTempDir());
    let writesLeft = 2; // the checkpoint, then the first page's raw reply
    const full = new StoreError("Cannot write raw/x: the disk is full");
    const filling = {
      ...local,
      put: (k: string, b: Uint8Array | string) => --writesLeft < 0 ? Promise.reject(full) : local.put(k, b),
    };
    await assert.rejects(
      ingestMinuteBars(options(url, "", { store: filling, symbols: ["AAPL", "MSFT"] })),
      (e) => e === full,
    );
    assert.deepEqual(requests, ["/v2/stocks/AAPL/bars"]);
  }, [count]);
});

Deno.test("ingestMinuteBars() without keys gets Alpaca's 403, names the variables to set and lands nothing", async () => {
  await withReplay(async (url) => {
    const root = await Deno.makeTempDir();
    const summary = await ingestMinuteBars(options(url, root, { source: alpacaMinuteSource({ baseUrl: url }) }));
    assert.deepEqual([summary.symbols_ok, summary.rows_inserted, summary.partitions_written], [0, 0, 0]);
    assert.ok(summary.failures.every((f) => f.reason === "unauthorized"), JSON.stringify(summary.failures));
    assert.match(summary.failures[0].message, /forbidden.*APCA_API_KEY_ID and APCA_API_SECRET_KEY/);
    assert.deepEqual(await createLocalStore(root).list("curated/"), []);
  });
});

Deno.test("ingestMinuteBars() on an early close: a 13:00 session, and a post-market from 13:00", async () => {
  const now = new Date("2024-12-02T23:00:00Z");
  const replay = await startReplayServer({ port: 0, hostname: "127.0.0.1", now: () => now });
  try {
    const root = await Deno.makeTempDir();
    // The day after Thanksgiving 2024 closed at 13:00 New York (18:00 UTC).
    await ingestMinuteBars(
      options(replay.url, root, { symbols: ["MSFT"], from: "2024-11-29", to: "2024-11-29", now: () => now }),
    );
    const lake = await openLake({ store: createLocalStore(root), cacheDir: await Deno.makeTempDir() });
    const day = await lake.getMinuteBars({ symbols: ["MSFT"], start: "2024-11-29", end: "2024-11-29" });
    lake.close();
    const regular = day.filter((b) => b.session === "regular");
    assert.deepEqual([regular.length, regular.at(-1)!.ts], [210, "2024-11-29T17:59:00Z"]);
    const post = day.filter((b) => b.session === "post");
    assert.ok(post.length > 0 && post[0].ts >= "2024-11-29T18:00:00Z" && post.at(-1)!.ts < "2024-11-29T22:00:00Z");
    assert.equal(day.length, minutesOnDays("MSFT", "2024-11-29", "2024-11-29", now));
  } finally {
    await replay.close();
  }
});

Deno.test("ingestMinuteBars() refuses hostile symbols and impossible ranges before any request or write", async () => {
  await withReplay(async (url) => {
    const root = await Deno.makeTempDir();
    for (const symbols of [["../x"], ["a/b"], [""], ["X".repeat(50)]]) {
      await assert.rejects(ingestMinuteBars(options(url, root, { symbols })), SymbolError, JSON.stringify(symbols));
    }
    for (
      const [from, to] of [["2024-03-04", "2024-02-28"], ["2024-02-30", "2024-03-04"], ["2030-01-01", "2030-01-02"]]
    ) {
      await assert.rejects(ingestMinuteBars(options(url, root, { from, to })), RangeError, `${from}..${to}`);
    }
    assert.deepEqual(await createLocalStore(root).list(""), []);
  });
});

Deno.test("monthWindows() runs New York midnight to midnight, cut at UTC month ends", () => {
  // The first day starts at 00:00 New York (the day before's post-market is not in range); the
  // last day's post-market runs past midnight UTC.
  assert.deepEqual(monthWindows("2023-12-29", "2024-01-02"), [
    { month: "2023-12", start: "2023-12-29T05:00:00Z", end: "2023-12-31T23:59:59Z" },
    { month: "2024-01", start: "2024-01-01T00:00:00Z", end: "2024-01-03T04:59:59Z" },
  ]);
  assert.deepEqual(monthWindows("2024-07-31", "2024-07-31"), [
    { month: "2024-07", start: "2024-07-31T04:00:00Z", end: "2024-07-31T23:59:59Z" },
    { month: "2024-08", start: "2024-08-01T00:00:00Z", end: "2024-08-01T03:59:59Z" },
  ]);
});

Deno.test("runMinuteClose() collects the watchlist's last sessions, and nothing without a watchlist", async () => {
  await withReplay(async (url) => {
    const root = await Deno.makeTempDir();
    const watchlist = await Deno.makeTempFile();
    await Deno.writeTextFile(watchlist, "AAPL\nBRK.B\n");
    const env = { TICKLAKE_LAKE: root, TICKLAKE_ALPACA_DATA_URL: url, APCA_API_KEY_ID: "k", APCA_API_SECRET_KEY: "s" };
    // 2024-03-05 23:00Z: the last three days hold the sessions of 03-04 and 03-05 (03-03 is a Sunday),
    // the last one's post-market only up to now.
    const minutes = (from: string) =>
      ["AAPL", "BRK.B"].reduce((n, s) => n + minutesOnDays(s, from, "2024-03-05", NOW()), 0);
    const quiet = { now: NOW, log: silentLogger };
    const summary = await runMinuteClose(loadConfig({ ...env, TICKLAKE_WATCHLIST: watchlist }), quiet);
    assert.deepEqual([summary?.symbols_ok, summary?.rows_inserted], [2, minutes("2024-03-02")]);
    // Today only: one session, all of it already in the lake.
    const today = await runMinuteClose(loadConfig({ ...env, TICKLAKE_WATCHLIST: watchlist }), {
      ...quiet,
      lookbackDays: 0,
    });
    assert.deepEqual([today?.bars_fetched, today?.rows_unchanged], [minutes("2024-03-05"), minutes("2024-03-05")]);
    const skipped = await runMinuteClose(loadConfig(env), quiet);
    assert.equal(skipped, undefined);
  });
});

Deno.test("ingest-minute killed with SIGKILL mid-run: finished months stay whole, fetched pages are parsed again, not fetched, and a rerun completes without duplicates", async () => {
  const replayNow = new Date("2024-04-01T23:00:00Z");
  const requests: URL[] = [];
  // The replay market's clock is after the range, so every minute of it exists.
  const replay = await startReplayServer({
    port: 0,
    hostname: "127.0.0.1",
    now: () => replayNow,
    middleware: [async (c, next) => {
      requests.push(new URL(c.req.url));
      await next();
    }],
  });
  try {
    const root = await Deno.makeTempDir();
    const symbols = Array.from({ length: 12 }, (_, i) => `S${String(i).padStart(4, "0")}`);
    const args = [
      "ingest-minute",
      "--symbols",
      symbols.join(","),
      "--from",
      "2024-01-02",
      "--to",
      "2024-03-28",
      "--lake",
      root,
    ];
    const store = createLocalStore(root);
    const january = "curated/minute_bars/month=2024-01/data.parquet";
    const checkpoint = async () => {
      const [cp] = await store.list("state/checkpoints/ingest_minute/");
      const text = cp && await store.get(cp.key).catch(() => undefined);
      return text && JSON.parse(new TextDecoder().decode(text));
    };
    // Killed once the checkpoint holds symbols of February fetched but not yet curated.
    const fetchedInFebruary = async () => Object.keys((await checkpoint())?.fetched?.["2024-02"] ?? {});
    await killMainWhen(
      args,
      { TICKLAKE_ALPACA_DATA_URL: replay.url, APCA_API_KEY_ID: "k", APCA_API_SECRET_KEY: "s" },
      async () => (await fetchedInFebruary()).length > 0,
    );
    assert.ok(await store.head(january), "January was written before the kill");
    assert.equal(await store.head("curated/minute_bars/month=2024-03/data.parquet"), undefined, "March was not");
    const kept: Record<string, { pages: string[] }> = (await checkpoint()).fetched["2024-02"];
    assert.ok(Object.keys(kept).length > 0);
    requests.length = 0;

    const rerun = await ingestMinuteBars({
      store,
      engine: createWasmEngine(),
      // The CLI's sources with keys set: Alpaca, then Yahoo (the run's identity includes them).
      source: [
        alpacaMinuteSource({ baseUrl: replay.url, keyId: "k", secret: "s" }),
        yahooMinuteSource({ baseUrl: "https://query2.finance.yahoo.com" }),
      ],
      symbols,
      from: "2024-01-02",
      to: "2024-03-28",
    });
    assert.equal(rerun.symbols_ok, 12);
    // It resumed the killed run: January, curated before the kill, was not fetched again.
    assert.equal(rerun.resumed, true);
    assert.ok(rerun.symbol_months_skipped >= 12, `skipped ${rerun.symbol_months_skipped} symbol-months`);
    // February's symbols fetched before the kill came from their raw pages, not from the provider.
    assert.equal(rerun.symbol_months_reparsed, Object.keys(kept).length);
    const askedInFebruary = requests.filter((u) => u.searchParams.get("start")?.startsWith("2024-02"))
      .map((u) => decodeURIComponent(u.pathname.split("/")[3]));
    assert.deepEqual(askedInFebruary.filter((s) => s in kept), []);
    assert.ok(askedInFebruary.length > 0, "the other February symbols were fetched");
    assert.deepEqual(await store.list("state/checkpoints/"), [], "the completed run closed its checkpoint");
    const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
    const [counts] = await lake.sql<{ n: number; keys: number; regular: number }>(
      `SELECT count(*) AS n, count(DISTINCT (symbol, ts)) AS keys, count(*) FILTER (WHERE session = 'regular') AS regular
       FROM minute_bars`,
    );
    // Their rows in February's partition (a UTC month) point at those pages.
    for (const [symbol, { pages }] of Object.entries(kept)) {
      const refs = await lake.sql<{ raw_ref: string }>(
        `SELECT DISTINCT raw_ref FROM minute_bars WHERE symbol = $1 AND strftime(ts, '%Y-%m') = '2024-02'`,
        [symbol],
      );
      assert.deepEqual(refs.map((r) => r.raw_ref).sort(), [...pages].sort());
    }
    lake.close();
    // 2024-01-02 .. 2024-03-28: 61 NYSE sessions of 390 minutes for each of 12 symbols, and the
    // pre- and post-market around them.
    const all = symbols.reduce((n, s) => n + minutesOnDays(s, "2024-01-02", "2024-03-28", replayNow), 0);
    assert.deepEqual(counts, { n: all, keys: all, regular: 12 * 61 * 390 });
    assert.ok((await store.list("")).every((o) => !o.key.includes(".tmp-")), "no temp file left visible");
  } finally {
    await replay.close();
  }
});

Deno.test("ingestMinuteBars() keeps consolidated minutes when the IEX feed refetches them, and labels each row's feed", async () => {
  // Alpaca as a paid plan would answer: the replay's bars as real ones, and the IEX feed seeing a
  // thirtieth of each minute's volume (one exchange's trades).
  const asFeeds: MiddlewareHandler = async (c, next) => {
    await next();
    const url = new URL(c.req.url);
    if (!url.pathname.startsWith("/v2/stocks/") || c.res.status !== 200) return;
    const page = await c.res.json();
    delete page.ticklake;
    if (url.searchParams.get("feed") === "iex") {
      // One symbol's bars are a list; several symbols' a map of lists.
      const lists = (Array.isArray(page.bars) ? [page.bars] : Object.values(page.bars)) as { v: number }[][];
      for (const b of lists.flat()) b.v = Math.ceil(b.v / 30);
    }
    c.res = Response.json(page);
  };
  await withReplay(async (url) => {
    const root = await Deno.makeTempDir();
    const feed = (name: "iex" | "sip") => alpacaMinuteSource({ baseUrl: url, keyId: "k", secret: "s", feed: name });
    const volumes = async () => {
      const lake = await openLake({ store: createLocalStore(root), cacheDir: await Deno.makeTempDir() });
      try {
        return await lake.sql<{ source: string; volume: number; n: number }>(
          "SELECT source, sum(volume)::DOUBLE AS volume, count(*)::INT AS n FROM minute_bars GROUP BY ALL ORDER BY source",
        );
      } finally {
        lake.close();
      }
    };
    const one = { symbols: ["AAPL"], from: "2024-03-04", to: "2024-03-04" };
    await ingestMinuteBars(options(url, root, { ...one, source: feed("iex") }));
    const iex = await volumes();
    assert.deepEqual(iex.map((r) => r.source), ["alpaca_iex"]);
    const sip = await ingestMinuteBars(options(url, root, { ...one, source: feed("sip") }));
    assert.equal(sip.rows_updated, iex[0].n, "SIP replaces every IEX minute");
    const consolidated = await volumes();
    assert.deepEqual(consolidated.map((r) => [r.source, r.n]), [["alpaca_sip", iex[0].n]]);
    assert.ok(consolidated[0].volume > 20 * iex[0].volume);
    // The minute cron's default feed comes back over the day: SIP's minutes stay.
    const again = await ingestMinuteBars(options(url, root, { ...one, source: feed("iex") }));
    assert.deepEqual([again.rows_updated, again.rows_unchanged], [0, iex[0].n]);
    assert.deepEqual(await volumes(), consolidated);
  }, [asFeeds]);
});
