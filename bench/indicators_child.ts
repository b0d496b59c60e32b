/**
 * Recomputing `indicators_daily` over a lake's daily bars, in its own process so that the parent
 * reads this process's peak RSS (VmHWM) alone.
 * Usage: deno run -A bench/indicators_child.ts <lake dir> ticklake|duckdb
 *   ticklake: `deno task indicators` (every indicator and feature, streamed into year files);
 *   duckdb:   the baseline, DuckDB's window functions computing the windowed subset (SMA(20),
 *             SMA(50), Bollinger bands, return, volatility, dollar volume) into one Parquet file.
 *             RSI, MACD and ATR are recursive and left out, so the baseline does less work.
 * @module
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { createLocalStore } from "../lake/store_local.ts";
import { computeIndicatorTables } from "../pipelines/jobs/compute_indicators.ts";
import { peakRssBytes } from "./peak_rss.ts";

const [root, mode] = Deno.args;
const started = performance.now();
let rows: number;
if (mode === "ticklake") {
  rows = (await computeIndicatorTables({ store: createLocalStore(root), engine: createWasmEngine() })).rows;
} else {
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  const out = await c.runAndReadAll(`COPY (
      SELECT symbol, date, adj_close, avg(a) OVER w20 AS sma_20, avg(a) OVER w50 AS sma_50,
        avg(a) OVER w20 + 2 * stddev_pop(a) OVER w20 AS bb_upper, avg(a) OVER w20 - 2 * stddev_pop(a) OVER w20 AS bb_lower,
        a / lag(a) OVER w - 1 AS return_1d, stddev_samp(lr) OVER w20 * sqrt(252) AS volatility_20d,
        avg(close * volume) OVER w20 AS dollar_volume_20d
      FROM (SELECT *, adj_close::DOUBLE AS a, ln(adj_close::DOUBLE / lag(adj_close::DOUBLE) OVER w) AS lr
            FROM read_parquet('${root}/curated/daily_bars/*/*.parquet') WINDOW w AS (PARTITION BY symbol ORDER BY date))
      WINDOW w AS (PARTITION BY symbol ORDER BY date), w20 AS (w ROWS 19 PRECEDING), w50 AS (w ROWS 49 PRECEDING)
      ORDER BY symbol, date)
    TO '${root}/../indicators_baseline.parquet' (FORMAT parquet, COMPRESSION zstd)`);
  rows = Number(out.getRows()[0][0]);
  c.closeSync();
}
console.log(JSON.stringify({ ms: performance.now() - started, rows, peakRssBytes: peakRssBytes() }));
