/** indicators_daily, computed by the demo pipeline, checked against SQL and a reference loop over the curated bars. */
import assert from "node:assert/strict";
import { layout } from "../lake/layout.ts";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { concatBatches, daysToIso, isoToDays, num, str, takeRows } from "../lake/schemas/columns.ts";
import { INDICATORS_DAILY } from "../lake/schemas/indicators_daily.ts";
import { openLake } from "../lake/query.ts";
import type { ObjectStore } from "../lake/store.ts";
import { computeIndicatorTables } from "../pipelines/jobs/compute_indicators.ts";
import { makeDemoLake } from "./support/demo_lake.ts";
import { main } from "../main.ts";
import { capture } from "./support/capture.ts";

const { root, store } = await makeDemoLake();

/** Half the last stored digit of a decimal column at `scale`, plus room for float rounding: how far a stored value may be from the exact one. */
const rounding = (scale: number) => 0.5 * 10 ** -scale + 1e-12;

Deno.test("indicators_daily has a row per bar, SMA(20) and Bollinger bands agree with SQL over the adjusted closes, RSI stays in [0, 100]", async () => {
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    const [{ bars, ind }] = await lake.sql<{ bars: number; ind: number }>(
      "SELECT (SELECT count(*) FROM daily_bars)::INT AS bars, (SELECT count(*) FROM indicators_daily)::INT AS ind",
    );
    assert.ok(bars > 1000);
    assert.equal(ind, bars);
    // SMA(20) and Bollinger bands recomputed in SQL from the bars (over each symbol's whole history, then compared).
    const [worst] = await lake.sql<{ d: number; bb: number; n: number }>(`
      WITH s AS (
        SELECT symbol, date, avg(adj_close::DOUBLE) OVER w AS sma, stddev_pop(adj_close::DOUBLE) OVER w AS sd,
          count(*) OVER w AS k
        FROM daily_bars WINDOW w AS (PARTITION BY symbol ORDER BY date ROWS 19 PRECEDING))
      SELECT max(abs(s.sma - i.sma_20)) AS d, max(abs(s.sma + 2 * s.sd - i.bb_upper) + abs(s.sma - 2 * s.sd - i.bb_lower)) AS bb,
        count(*)::INT AS n
      FROM s JOIN indicators_daily i USING (symbol, date) WHERE s.k = 20`);
    assert.ok(worst.n > 1000);
    // Stored at six decimals: each band may be off by half the last digit.
    assert.ok(
      worst.d <= rounding(6) && worst.bb <= 2 * rounding(6),
      `max SMA difference ${worst.d}, Bollinger ${worst.bb}`,
    );
    const [warm] = await lake.sql<{ nulls: number; bad: number }>(`
      SELECT count(*) FILTER (sma_50 IS NULL)::INT AS nulls,
             count(*) FILTER (rsi_14 < 0 OR rsi_14 > 100)::INT AS bad FROM indicators_daily`);
    assert.equal(warm.nulls, 5 * 49, "the first 49 days of each of the 5 symbols have no SMA(50)");
    assert.equal(warm.bad, 0);
  } finally {
    lake.close();
  }
});

Deno.test("indicators_daily features: return, 20-day volatility and dollar volume agree with SQL, ATR(14) with Wilder's recurrence", async () => {
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    // Each feature recomputed by DuckDB's own window functions, within the rounding of its stored scale.
    const [d] = await lake.sql<{ ret: number; vol: number; dv: number; n: number; nulls: number }>(`
      WITH r AS (
        SELECT symbol, date, adj_close::DOUBLE / lag(adj_close::DOUBLE) OVER w - 1 AS ret,
          ln(adj_close::DOUBLE / lag(adj_close::DOUBLE) OVER w) AS lr, close::DOUBLE * volume AS dollars
        FROM daily_bars WINDOW w AS (PARTITION BY symbol ORDER BY date)),
      s AS (
        SELECT *, stddev_samp(lr) OVER v * sqrt(252) AS vol, count(lr) OVER v AS k,
          avg(dollars) OVER v AS dv, count(*) OVER v AS kd
        FROM r WINDOW v AS (PARTITION BY symbol ORDER BY date ROWS 19 PRECEDING))
      SELECT max(abs(s.ret - i.return_1d)) AS ret, max(abs(s.vol - i.volatility_20d)) FILTER (s.k = 20) AS vol,
        max(abs(s.dv - i.dollar_volume_20d)) FILTER (s.kd = 20) AS dv, count(*) FILTER (s.k = 20)::INT AS n,
        count(*) FILTER ((i.volatility_20d IS NULL) <> (s.k < 20))::INT AS nulls
      FROM s JOIN indicators_daily i USING (symbol, date)`);
    assert.ok(d.n > 1000);
    assert.ok(d.ret <= rounding(8) && d.vol <= rounding(6) && d.dv <= rounding(0) + 1e-6, JSON.stringify(d));
    assert.equal(d.nulls, 0, "volatility is null exactly while its 20 returns are not there yet");

    // ATR(14) on split- and dividend-adjusted highs and lows: the mean of the first 14 true ranges, then (13 prev + TR) / 14.
    for (const symbol of ["NVDA", "TSLA"]) {
      const bars = await lake.getDailyBars({ symbols: [symbol] });
      const atr = (await lake.sql<{ atr_14: number | null }>(
        "SELECT atr_14 FROM indicators_daily WHERE symbol = ? ORDER BY date",
        [symbol],
      )).map((r) => r.atr_14);
      assert.equal(atr.length, bars.length);
      let expected = NaN, sum = 0, worst = 0;
      for (let i = 1; i < bars.length; i++) {
        const f = (b: typeof bars[number]) => b.adj_close / b.close;
        const [h, l, pc] = [bars[i].high * f(bars[i]), bars[i].low * f(bars[i]), bars[i - 1].adj_close];
        const tr = Math.max(h - l, Math.abs(h - pc), Math.abs(l - pc));
        if (i < 14) sum += tr;
        else if (i === 14) expected = (sum + tr) / 14;
        else expected = (expected * 13 + tr) / 14;
        if (i < 14) assert.equal(atr[i], null);
        else worst = Math.max(worst, Math.abs(atr[i]! - expected));
      }
      assert.ok(worst <= rounding(6), `${symbol}: ATR off by ${worst}`);
    }
    // NVDA's 10:1 split on 2024-06-10 moves as-traded prices tenfold; the adjusted ATR does not jump.
    const [split] = await lake.sql<{ before: number; after: number }>(`
      SELECT max(atr_14) FILTER (date = DATE '2024-06-07') AS before, max(atr_14) FILTER (date = DATE '2024-06-10') AS after
      FROM indicators_daily WHERE symbol = 'NVDA'`);
    assert.ok(Math.abs(split.after / split.before - 1) < 0.2, JSON.stringify(split));
  } finally {
    lake.close();
  }
});

Deno.test("indicators_daily momentum (12-1) and 52-week-high ratio agree with SQL, and are null until a year of bars", async () => {
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    const [d] = await lake.sql<{ mom: number; high: number; n: number; nulls: number }>(`
      WITH s AS (
        SELECT symbol, date, lag(adj_close::DOUBLE, 21) OVER w / lag(adj_close::DOUBLE, 252) OVER w - 1 AS mom,
          adj_close::DOUBLE / max(adj_close::DOUBLE) OVER y AS high, count(*) OVER y AS k
        FROM daily_bars
        WINDOW w AS (PARTITION BY symbol ORDER BY date), y AS (w ROWS BETWEEN 251 PRECEDING AND CURRENT ROW))
      SELECT max(abs(s.mom - i.momentum_12_1)) AS mom, max(abs(s.high - i.high_52w_ratio)) FILTER (s.k = 252) AS high,
        count(i.momentum_12_1)::INT AS n,
        count(*) FILTER ((i.momentum_12_1 IS NULL) <> (s.mom IS NULL) OR (i.high_52w_ratio IS NULL) <> (s.k < 252))::INT
          AS nulls
      FROM s JOIN indicators_daily i USING (symbol, date)`);
    assert.ok(d.n > 1000);
    assert.ok(d.mom <= rounding(6) && d.high <= rounding(6), JSON.stringify(d));
    assert.equal(d.nulls, 0, "null exactly while a year of bars is not there yet");
  } finally {
    lake.close();
  }
});

Deno.test("getIndicators() and query --indicators return the table's rows for a symbol and range, typed, and refuse bad input", async () => {
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    const rows = await lake.getIndicators({ symbols: ["nvda"], start: "2024-06-03", end: "2024-06-14" });
    const bars = await lake.getDailyBars({ symbols: ["NVDA"], start: "2024-06-03", end: "2024-06-14", adjusted: true });
    assert.deepEqual(rows.map((r) => [r.symbol, r.date, r.adj_close]), bars.map((b) => ["NVDA", b.date, b.adj_close]));
    const [direct] = await lake.sql<{ atr: number; vol: number }>(
      "SELECT atr_14 AS atr, volatility_20d AS vol FROM indicators_daily WHERE symbol = 'NVDA' AND date = DATE '2024-06-14'",
    );
    assert.deepEqual([rows.at(-1)!.atr_14, rows.at(-1)!.volatility_20d], [direct.atr, direct.vol]);
    assert.equal(typeof rows[0].rsi_14, "number");
    await assert.rejects(() => lake.getIndicators({ symbols: ["NVDA"], start: "2024-02-30" }), /no such calendar day/);
    await assert.rejects(() => lake.getIndicators({ symbols: ["../x"] }), /looks like a path/);
  } finally {
    lake.close();
  }
  const args = ["query", "--indicators", "--symbols", "NVDA", "--from", "2024-06-03", "--to", "2024-06-14"];
  const { code, out } = await capture(() => main([...args, "--lake", root, "--format", "json"]));
  assert.equal(code, 0);
  const printed = JSON.parse(out) as { date: string; atr_14: number }[];
  assert.equal(printed.length, 10);
  assert.equal(printed[0].date, "2024-06-03");
});

/** indicators_latest against each symbol's newest row of indicators_daily, over the query API. */
async function latestMatchesTable() {
  const lake = await openLake({ store, cacheDir: await Deno.makeTempDir() });
  try {
    const [r] = await lake.sql<{ latest: number; symbols: number; differing: number }>(`
      SELECT (SELECT count(*) FROM indicators_latest)::INT AS latest,
        (SELECT count(DISTINCT symbol) FROM indicators_daily)::INT AS symbols,
        (SELECT count(*) FROM (
          SELECT * EXCLUDE (year) FROM indicators_daily
          QUALIFY row_number() OVER (PARTITION BY symbol ORDER BY date DESC) = 1
          EXCEPT SELECT * FROM indicators_latest))::INT AS differing`);
    return r;
  } finally {
    lake.close();
  }
}

Deno.test("indicators_latest holds each symbol's newest indicators_daily row, after a whole and a partial run", async () => {
  assert.deepEqual(await latestMatchesTable(), { latest: 5, symbols: 5, differing: 0 });
  // A partial run keeps the rows of symbols it did not read: a sixth, older symbol stays as it was.
  const key = layout.indicatorsLatest;
  const engine = createWasmEngine();
  const before = await engine.decode((await store.get(key))!, INDICATORS_DAILY);
  const old = takeRows(before, [0]);
  str(old, "symbol")[0] = "AAA";
  num(old, "date")[0] = isoToDays("2019-05-01");
  await store.put(key, await engine.encode(concatBatches(INDICATORS_DAILY, [old, before]), INDICATORS_DAILY));
  await computeIndicatorTables({ store, engine, fromYear: 2024 });
  const after = await engine.decode((await store.get(key))!, INDICATORS_DAILY);
  assert.deepEqual(str(after, "symbol"), ["AAA", ...str(before, "symbol")]);
  assert.equal(daysToIso(num(after, "date")[0]), "2019-05-01");
  // A whole run writes what the table says: the stray row goes.
  await computeIndicatorTables({ store, engine });
  assert.deepEqual(await latestMatchesTable(), { latest: 5, symbols: 5, differing: 0 });
});

/** Every row of the indicator partitions from `fromYear` on, by key. */
async function indicatorRows(s: ObjectStore, fromYear: number) {
  const engine = createWasmEngine();
  const rows = new Map<string, number[]>();
  for (const o of await s.list(layout.curatedPrefix("indicators_daily"))) {
    if (Number(/year=(\d+)/.exec(o.key)![1]) < fromYear) continue;
    const b = await engine.decode((await s.get(o.key))!, INDICATORS_DAILY);
    const symbols = str(b, "symbol"), cols = INDICATORS_DAILY.slice(1).map((c) => num(b, c.name));
    for (let i = 0; i < b.length; i++) rows.set(`${symbols[i]} ${cols[0][i]}`, cols.map((c) => c[i]));
  }
  return rows;
}

Deno.test("computeIndicatorTables({ fromYear }) rewrites only those years, with the values of a whole-history run", async () => {
  const whole = await indicatorRows(store, 2024);
  const before = await store.list(layout.curatedPrefix("indicators_daily"));
  const puts: string[] = []; // keys written, whole or streamed
  const watched: ObjectStore = {
    ...store,
    put: (key, body) => (puts.push(key), store.put(key, body)),
    openWrite: (key) => (puts.push(key), store.openWrite(key)),
  };
  const result = await computeIndicatorTables({ store: watched, engine: createWasmEngine(), fromYear: 2024 });
  assert.deepEqual(puts, [layout.indicatorsPartition(2024), layout.indicatorsLatest]);
  assert.equal(result.partitions, 1);
  const after = await store.list(layout.curatedPrefix("indicators_daily"));
  assert.deepEqual(after.filter((o) => !o.key.includes("2024")), before.filter((o) => !o.key.includes("2024")));
  const partial = await indicatorRows(store, 2024);
  assert.equal(partial.size, whole.size);
  assert.ok(whole.size > 1000);
  let worst = 0;
  for (const [key, want] of whole) {
    const got = partial.get(key)!;
    want.forEach((w, k) => {
      if (Number.isNaN(w)) assert.ok(Number.isNaN(got[k]), key);
      else worst = Math.max(worst, Math.abs(got[k] - w));
    });
  }
  // Equal but where a difference of 1e-15 crosses a rounding boundary: one unit of the sixth decimal.
  assert.ok(worst <= 1e-6, `largest difference from the whole-history values: ${worst}`);

  // A record of other columns, or of the same names without types (a lake from before the values
  // became decimals), makes the first run rewrite every year, so the table never has two schemas.
  const names = INDICATORS_DAILY.map((c) => c.name);
  await store.put(layout.state("indicators"), new TextEncoder().encode(JSON.stringify({ columns: names })));
  puts.length = 0;
  await computeIndicatorTables({ store: watched, engine: createWasmEngine(), fromYear: 2024 });
  assert.deepEqual(
    puts.sort(),
    [...before.map((o) => o.key), layout.indicatorsLatest, layout.state("indicators")].sort(),
  );
  puts.length = 0;
  await computeIndicatorTables({ store: watched, engine: createWasmEngine(), fromYear: 2024 });
  assert.deepEqual(puts, [layout.indicatorsPartition(2024), layout.indicatorsLatest]);
});

Deno.test("computeIndicatorTables() on a disk that fills up fails clearly and leaves every partition whole", async () => {
  const key = layout.indicatorsPartition(2023);
  const before = await store.get(key);
  const full: ObjectStore = {
    ...store,
    openWrite(k) {
      const out = store.openWrite(k);
      if (k !== key) return out;
      return { ...out, write: () => Promise.reject(new Error("No space left on device (os error 28)")) };
    },
  };
  await assert.rejects(computeIndicatorTables({ store: full, engine: createWasmEngine() }), /No space left/);
  assert.deepEqual(await store.get(key), before);
  const files: string[] = [];
  for await (const year of Deno.readDir(`${root}/${layout.curatedPrefix("indicators_daily")}`)) {
    for await (const f of Deno.readDir(`${root}/${layout.curatedPrefix("indicators_daily")}${year.name}`)) {
      files.push(f.name);
    }
  }
  assert.deepEqual([...new Set(files)], ["data.parquet"], "no temp file is left behind");
  // And the next run completes.
  const again = await computeIndicatorTables({ store, engine: createWasmEngine() });
  assert.equal(again.partitions, 4);
});
