/**
 * Recompute `indicators_daily` from the curated daily bars: each symbol over its history (so
 * windows are warm at every date), into one object per year, each written atomically.
 *
 * One pass: the year partitions (each sorted by symbol) are read side by side, a row group at a
 * time, and every symbol's rows are taken from all of them before its indicators go to the year
 * files being written. Memory holds one symbol's history and a row group per open file, so it
 * does not grow with the universe.
 * @module
 */
import { layout } from "../../lake/layout.ts";
import type { EngineSink, ParquetEngine } from "../../lake/parquet/engine.ts";
import { type Batch, concatBatches, num, str, takeRows } from "../../lake/schemas/columns.ts";
import { DAILY_BARS } from "../../lake/schemas/daily_bars.ts";
import { parquetRowCount } from "../../lake/parquet/wasm_engine.ts";
import { INDICATORS_DAILY } from "../../lake/schemas/indicators_daily.ts";
import type { ObjectReader, ObjectStore, ObjectWriter } from "../../lake/store.ts";
import { createProgress, type Logger, silentLogger } from "../log.ts";
import { splitByYear } from "../stages/curate_daily_bars.ts";
import { computeIndicators } from "../stages/indicators.ts";
import { sortedCursor } from "../stages/merge_bars.ts";
import { lockTable } from "./lake_writer.ts";

/**
 * Years of bars read before `fromYear`: ~500 bars, after which the exponential averages (RSI,
 * MACD) have forgotten where they started to within 1e-15 and every window has filled.
 */
export const WARMUP_YEARS = 2;

const COLUMNS = ["date", "high", "low", "close", "adj_close", "volume"] as const;
type History = Record<(typeof COLUMNS)[number], number[]>;
const HISTORY_SPEC = DAILY_BARS.filter((c) => c.name === "symbol" || (COLUMNS as readonly string[]).includes(c.name));

/**
 * Rows per row group. The dashboard reads one symbol-year (~252 rows) of a dozen columns; when they
 * were doubles, 8,192-row groups made that read 1.4 MB of one partition and 2,048-row groups 0.43 MB
 * (0.16 MB as decimals). DuckDB-WASM reads ahead in growing steps, so smaller groups gain little
 * more, and the footer grows.
 */
const ROW_GROUP = 2048;

const SCHEMA_STATE = layout.state("indicators");
/** Names and types: a change of either (as from doubles to decimals) is a new schema. */
const COLUMNS_RECORD = INDICATORS_DAILY.map((c) => `${c.name} ${c.type}`);

/** Whether every indicators partition was written with today's columns and types (an unreadable record says no). */
async function schemaIsCurrent(store: ObjectStore): Promise<boolean> {
  try {
    const bytes = await store.get(SCHEMA_STATE);
    return !!bytes &&
      JSON.stringify(JSON.parse(new TextDecoder().decode(bytes)).columns) === JSON.stringify(COLUMNS_RECORD);
  } catch {
    return false;
  }
}

/**
 * Write `indicators_latest`: each computed symbol's newest row. A run over some years keeps the
 * rows of symbols it did not read (their newest bar is older than its warm-up), so the object
 * always holds every symbol's newest row.
 */
async function writeLatest(store: ObjectStore, engine: ParquetEngine, computed: Batch[], partial: boolean) {
  const fresh = concatBatches(INDICATORS_DAILY, computed);
  const previous = partial ? await store.get(layout.indicatorsLatest) : undefined;
  let rows = fresh;
  if (previous) {
    const old = await engine.decode(previous, INDICATORS_DAILY);
    const recomputed = new Set(str(fresh, "symbol"));
    const kept = str(old, "symbol").flatMap((s, i) => (recomputed.has(s) ? [] : [i]));
    const merged = concatBatches(INDICATORS_DAILY, [fresh, takeRows(old, kept)]);
    const symbols = str(merged, "symbol");
    const order = [...symbols.keys()].sort((a, b) => (symbols[a]! < symbols[b]! ? -1 : 1));
    rows = takeRows(merged, order);
  }
  await store.put(layout.indicatorsLatest, await engine.encode(rows, INDICATORS_DAILY));
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
  await using _ = await lockTable({ store, table: "indicators_daily", job: "indicators", log });
  // Partitions written before the table gained or retyped columns would leave it with two schemas:
  // the first run after such a change recomputes every year.
  const current = await schemaIsCurrent(store);
  const from = current ? fromYear ?? -Infinity : -Infinity;
  const partitions = (await store.list(layout.dailyBarsPrefix))
    .map((o) => ({ key: o.key, year: layout.partitionYear(o.key) ?? NaN }))
    .filter((p) => p.key.endsWith(".parquet") && p.year >= from - WARMUP_YEARS)
    .sort((a, b) => a.year - b.year);

  const readers: ObjectReader[] = [];
  const cursors: ReturnType<typeof sortedCursor>[] = [];
  const latest: Batch[] = [];
  const outputs = new Map<number, { out: ObjectWriter; sink: EngineSink }>();
  let symbols = 0, rows = 0;
  try {
    for (const { key } of partitions) {
      const reader = await store.openRead(key);
      if (!reader) throw new Error(`Cannot compute indicators: ${key} vanished while listed`);
      readers.push(reader);
    }
    // Read in year order, so that a symbol's rows come out in date order.
    for (const r of readers) cursors.push(sortedCursor(engine.decodePieces(r, HISTORY_SPEC)));
    // Progress in bars read: their total is in the footers, where counting symbols meant decoding
    // every partition's symbol column first (0.5 of 7 s).
    let bars = 0;
    for (const r of readers) bars += await parquetRowCount(r);
    const progress = createProgress(log, "indicators.progress", bars);
    for (;;) {
      const heads = (await Promise.all(cursors.map((c) => c.peek()))).filter((s) => s !== undefined);
      if (!heads.length) break;
      const symbol = heads.reduce((a, b) => (b < a ? b : a));
      const h: History = { date: [], high: [], low: [], close: [], adj_close: [], volume: [] };
      for (const c of cursors) {
        await c.takeWhile((s) => s === symbol, (b) => {
          for (const col of COLUMNS) {
            const values = num(b, col);
            for (let i = 0; i < b.length; i++) h[col].push(values[i]);
          }
        });
      }
      const computed = computeIndicators(symbol, {
        days: Float64Array.from(h.date),
        high: Float64Array.from(h.high),
        low: Float64Array.from(h.low),
        close: Float64Array.from(h.close),
        adjClose: Float64Array.from(h.adj_close),
        volume: Float64Array.from(h.volume),
      });
      // A copy: a slice would be a view keeping the symbol's whole history alive.
      if (computed.length) latest.push(takeRows(computed, [computed.length - 1]));
      for (const [year, part] of splitByYear(computed)) {
        if (year < from) continue;
        let o = outputs.get(year);
        if (!o) {
          const out = store.openWrite(layout.indicatorsPartition(year));
          outputs.set(year, o = { out, sink: engine.sink(INDICATORS_DAILY, out, { rowGroupSize: ROW_GROUP }) });
        }
        await o.sink.append(part);
        rows += part.length;
      }
      progress.tick(h.date.length, { symbol });
      symbols++;
    }
    for (const { out, sink } of outputs.values()) {
      await sink.finish();
      await out.commit();
    }
    await writeLatest(store, engine, latest, Number.isFinite(from));
  } catch (e) {
    await Promise.all([...outputs.values()].map(async ({ out, sink }) => (await sink.discard(), await out.abort())));
    throw e;
  } finally {
    // A decoder left mid-file (after an error) still holds its file's reader state until returned.
    await Promise.all(cursors.map((c) => c.close()));
    await Promise.all(readers.map((r) => r.close()));
  }
  if (!current) await store.put(SCHEMA_STATE, new TextEncoder().encode(JSON.stringify({ columns: COLUMNS_RECORD })));
  log.info("indicators.done", {
    symbols,
    rows,
    partitions: outputs.size,
    from_year: Number.isFinite(from) ? from : null,
  });
  return { symbols, rows, partitions: outputs.size };
}
