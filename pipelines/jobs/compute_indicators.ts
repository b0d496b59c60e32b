/**
 * Recompute `indicators_daily` from the curated daily bars: each symbol over its history (so
 * windows are warm at every date), then one object per year, written atomically.
 * @module
 */
import { layout } from "../../lake/layout.ts";
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import { type Batch, concatBatches, num, str } from "../../lake/schemas/columns.ts";
import { DAILY_BARS } from "../../lake/schemas/daily_bars.ts";
import { INDICATORS_DAILY } from "../../lake/schemas/indicators_daily.ts";
import type { ObjectStore } from "../../lake/store.ts";
import { createProgress, type Logger, silentLogger } from "../log.ts";
import { splitByYear } from "../stages/curate_daily_bars.ts";
import { computeIndicators } from "../stages/indicators.ts";

/**
 * Years of bars read before `fromYear`: ~500 bars, after which the exponential averages (RSI,
 * MACD) have forgotten where they started to within 1e-15 and every window has filled.
 */
export const WARMUP_YEARS = 2;

const COLUMNS = ["date", "high", "low", "close", "adj_close", "volume"] as const;
const HISTORY = DAILY_BARS.filter((c) => c.name === "symbol" || (COLUMNS as readonly string[]).includes(c.name));

const SCHEMA_STATE = layout.state("indicators");
const COLUMN_NAMES = INDICATORS_DAILY.map((c) => c.name);

/** Whether every indicators partition was written with today's columns (an unreadable record says no). */
async function schemaIsCurrent(store: ObjectStore): Promise<boolean> {
  try {
    const bytes = await store.get(SCHEMA_STATE);
    return !!bytes &&
      JSON.stringify(JSON.parse(new TextDecoder().decode(bytes)).columns) === JSON.stringify(COLUMN_NAMES);
  } catch {
    return false;
  }
}

export async function computeIndicatorTables(
  { store, engine, log = silentLogger, fromYear }: {
    store: ObjectStore;
    engine: ParquetEngine;
    log?: Logger;
    /** Rewrite only the partitions of this year and later (default: every year). */
    fromYear?: number;
  },
): Promise<{ symbols: number; rows: number; partitions: number }> {
  // Partitions written before the table gained columns would leave it with two schemas: the first
  // run after such a change recomputes every year.
  const current = await schemaIsCurrent(store);
  const from = current ? fromYear ?? -Infinity : -Infinity;
  const partitions = (await store.list(layout.dailyBarsPrefix))
    .map((o) => ({ key: o.key, year: Number(/year=(\d+)\//.exec(o.key)?.[1]) }))
    .filter((p) => p.key.endsWith(".parquet") && p.year >= from - WARMUP_YEARS)
    .sort((a, b) => a.year - b.year);
  // Each symbol's bars across the years read, in date order (partitions are sorted by symbol, date).
  // Only the columns used are decoded, a row group at a time.
  const history = new Map<string, Record<(typeof COLUMNS)[number], number[]>>();
  for (const { key } of partitions) {
    const file = await store.openRead(key);
    if (!file) throw new Error(`Cannot compute indicators: ${key} vanished while listed`);
    try {
      for await (const b of engine.decodePieces(file, HISTORY)) {
        const symbols = str(b, "symbol"), cols = COLUMNS.map((c) => num(b, c));
        for (let i = 0; i < b.length; i++) {
          let h = history.get(symbols[i]!);
          if (!h) history.set(symbols[i]!, h = Object.fromEntries(COLUMNS.map((c) => [c, []])) as never);
          COLUMNS.forEach((c, k) => h[c].push(cols[k][i]));
        }
      }
    } finally {
      await file.close();
    }
  }
  const symbols = history.size;
  const progress = createProgress(log, "indicators.progress", symbols);
  // Rows of the years written, by year; a symbol's warm-up years are dropped as soon as it is done.
  const byYear = new Map<number, Batch[]>();
  for (const [symbol, h] of [...history].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    history.delete(symbol);
    const computed = computeIndicators(symbol, {
      days: Float64Array.from(h.date),
      high: Float64Array.from(h.high),
      low: Float64Array.from(h.low),
      close: Float64Array.from(h.close),
      adjClose: Float64Array.from(h.adj_close),
      volume: Float64Array.from(h.volume),
    });
    for (const [year, part] of splitByYear(computed)) {
      if (year >= from) (byYear.get(year) ?? byYear.set(year, []).get(year)!).push(part);
    }
    progress.tick(1, { symbol });
  }
  let rows = 0;
  for (const [year, parts] of byYear) {
    const batch = concatBatches(INDICATORS_DAILY, parts);
    rows += batch.length;
    await store.put(layout.indicatorsPartition(year), await engine.encode(batch, INDICATORS_DAILY));
  }
  if (!current) await store.put(SCHEMA_STATE, new TextEncoder().encode(JSON.stringify({ columns: COLUMN_NAMES })));
  log.info("indicators.done", {
    symbols,
    rows,
    partitions: byYear.size,
    from_year: Number.isFinite(from) ? from : null,
  });
  return { symbols, rows, partitions: byYear.size };
}
