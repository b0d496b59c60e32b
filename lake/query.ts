/**
 * The public query API over the lake, backed by DuckDB (@duckdb/node-api). Curated Parquet is
 * read in place for a local lake, or through a local cache for S3 (httpfs is not available).
 * User input only ever reaches SQL as bound parameters.
 * @module
 */
import { dirname, resolve } from "node:path";
import { type DuckDBConnection, DuckDBInstance, DuckDBTypeId, type DuckDBValue } from "@duckdb/node-api";
import * as arrow from "apache-arrow";
import { cacheObjects } from "./cache.ts";
import { parseIsoDay } from "./calendar.ts";
import { CURATED_TABLES, layout } from "./layout.ts";
import { type Column, daysToIso } from "./schemas/columns.ts";
import { CURATED_SPECS, emptyTableSql } from "./schemas/curated.ts";
import { type SymbolRow, SYMBOLS } from "./schemas/symbols.ts";
import { listedOn } from "./symbols_table.ts";
import type { BarRow } from "./daily_reader.ts";
import type { ObjectStore } from "./store.ts";
import {
  ADJUSTMENT_FACTORS,
  EXPORT_KEYS,
  fundamentalsSql,
  indicatorsSql,
  minuteBarsSql,
  numbers,
  periodBarsSql,
  symbolsAndDays,
  WIRE_LINEAGE,
  wireKeys,
} from "./query_sql.ts";
import { failStatement, prepareReadOnly, SqlError, sqlString, withoutTerminator } from "./sql_statements.ts";
import { arrowTable, PERIOD_COLUMNS, plainColumn, TEXT_COLUMNS } from "./query_results.ts";

export { SqlError };

/** One daily bar as returned to callers (prices as numbers, dates as ISO strings), with its lineage. */
export interface DailyBarRow extends BarRow {
  symbol: string;
  source: string;
  /** The raw reply the bar came from; for a week or month, every reply of its days, space-separated. */
  raw_ref: string;
  /** With an `interval` of week or month: how many trading days the bar holds. */
  days?: number;
}

/** Bar lengths over daily bars: weeks run Monday to Friday (ISO weeks), months by the calendar. */
export const DAILY_INTERVALS = ["day", "week", "month"] as const;
export type DailyInterval = typeof DAILY_INTERVALS[number];

export interface DailyBarsQuery {
  symbols: string[];
  /** Inclusive ISO dates; both optional. */
  start?: string;
  end?: string;
  /** Scale open/high/low/close by adj_close/close and volume by later splits. */
  adjusted?: boolean;
  /**
   * `week` or `month`: one bar per symbol and period, dated by its last trading day, from the daily
   * bars in `start..end` (a period cut by them holds only its days inside). Default `day`.
   */
  interval?: DailyInterval;
}

/** One minute bar as returned to callers; `ts` is the minute's start in UTC (`...Z`). */
export interface MinuteBarRow {
  symbol: string;
  ts: string;
  session: "pre" | "regular" | "post";
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** Null where the provider gives none (Yahoo). */
  trades: number | null;
  vwap: number | null;
  source: string;
  /** The raw page the minute came from; for a longer bar, every page of its minutes, space-separated. */
  raw_ref: string;
  /** With an `interval`: how many one-minute bars the bar holds. */
  minutes?: number;
}

export interface MinuteBarsQuery {
  symbols: string[];
  /** Inclusive New York trading dates, `YYYY-MM-DD`; both optional. */
  start?: string;
  end?: string;
  /** Only these sessions (default: all). */
  sessions?: MinuteBarRow["session"][];
  /**
   * On the adjusted daily bars' basis: prices scaled by their day's adj_close / close, volume by
   * later splits. Needs the daily bars of every day queried.
   */
  adjusted?: boolean;
  /**
   * Bars of this many minutes (default 1), 1 to 390: aligned to their session's New York start
   * (04:00, 09:30, 16:00), never across two sessions, `ts` the first minute's, `minutes` the
   * one-minute bars they hold. `trades` and `vwap` are null unless every minute has them.
   */
  interval?: number;
}

/** One value a filing reported (see docs/lake.md, fundamentals). */
export interface FundamentalRow {
  symbol: string;
  concept: string;
  unit: string;
  /** Null for an instant value. */
  period_start: string | null;
  period_end: string;
  value: number;
  fiscal_year: number | null;
  fiscal_period: string | null;
  form: string;
  filed: string;
  accession: string;
  source: string;
  raw_ref: string;
}

/** One bar's indicators and features (see docs/lake.md, indicators_daily); null while a window fills. */
export interface IndicatorRow {
  symbol: string;
  date: string;
  adj_close: number;
  sma_20: number | null;
  sma_50: number | null;
  bb_upper: number | null;
  bb_lower: number | null;
  rsi_14: number | null;
  macd: number | null;
  macd_signal: number | null;
  macd_hist: number | null;
  return_1d: number | null;
  volatility_20d: number | null;
  atr_14: number | null;
  dollar_volume_20d: number | null;
  momentum_12_1: number | null;
  high_52w_ratio: number | null;
}

/** Symbols and inclusive trading dates, `YYYY-MM-DD` (both optional). */
export interface IndicatorsQuery {
  symbols: string[];
  start?: string;
  end?: string;
}

export interface FundamentalsQuery {
  symbols: string[];
  /** Only these concepts, e.g. `Revenues` (default: all). */
  concepts?: string[];
  /** Inclusive bounds on `period_end`; both optional. */
  start?: string;
  end?: string;
  /** Only what was filed on or before this date: the facts as known that day (no look-ahead). */
  asOf?: string;
}

/** The symbol master, whole or as of a day. */
export interface SymbolsQuery {
  /** Only the symbols listed on this day, delisted ones included ({@linkcode listedOn}). */
  asOf?: string;
  /** Only these asset types, e.g. `["stock", "etf"]` (default: all). */
  assetTypes?: SymbolRow["asset_type"][];
}

export type ExportFormat = "csv" | "parquet" | "json";

export interface Lake {
  /** Daily bars sorted by symbol then date. */
  getDailyBars(q: DailyBarsQuery): Promise<DailyBarRow[]>;
  /** The same bars as an Apache Arrow table (numbers as Float64, strings dictionary-encoded). */
  getDailyBarsArrow(q: DailyBarsQuery): Promise<arrow.Table>;
  /**
   * One read-only statement over the views `daily_bars`, `indicators_daily`, `indicators_latest`, `minute_bars`,
   * `fundamentals` and `symbols`, with `?` parameters. Anything that would change the views or write a file (COPY,
   * DROP, SET, a second statement) is refused before it runs, and a statement that fails by itself
   * (syntax, names, values) fails with a {@linkcode SqlError}.
   */
  sql<T = Record<string, unknown>>(query: string, params?: DuckDBValue[]): Promise<T[]>;
  /** Run a read-only query and write its result to a local file, atomically (temp file, then rename). */
  exportQuery(query: string, params: DuckDBValue[], format: ExportFormat, outPath: string): Promise<number>;
  /** The SQL and parameters `getDailyBars` runs, for exports. */
  dailyBarsSql(q: DailyBarsQuery): { text: string; params: DuckDBValue[] };
  /** Minute bars sorted by symbol then minute. */
  getMinuteBars(q: MinuteBarsQuery): Promise<MinuteBarRow[]>;
  /** The SQL and parameters `getMinuteBars` runs, for exports. */
  minuteBarsSql(q: MinuteBarsQuery): { text: string; params: DuckDBValue[] };
  /** `indicators_daily` rows sorted by symbol then date. */
  getIndicators(q: IndicatorsQuery): Promise<IndicatorRow[]>;
  /** The SQL and parameters `getIndicators` runs, for exports. */
  indicatorsSql(q: IndicatorsQuery): { text: string; params: DuckDBValue[] };
  /** SEC company facts sorted by symbol, concept, period end and filing. */
  getFundamentals(q: FundamentalsQuery): Promise<FundamentalRow[]>;
  /** The SQL and parameters `getFundamentals` runs, for exports. */
  fundamentalsSql(q: FundamentalsQuery): { text: string; params: DuckDBValue[] };
  /** Symbol master rows sorted by symbol: a universe free of survivorship bias with `asOf`. */
  getSymbols(q?: SymbolsQuery): Promise<SymbolRow[]>;
  /** Re-read the lake's file list (after an ingest). */
  refresh(): Promise<void>;
  close(): void;
}

/**
 * Open the lake for querying.
 *
 * @example Query an empty lake
 * ```ts
 * import { openLake } from "./query.ts";
 * import { createLocalStore } from "./store_local.ts";
 * const lake = await openLake({ store: createLocalStore(await Deno.makeTempDir()), cacheDir: await Deno.makeTempDir() });
 * const rows = await lake.getDailyBars({ symbols: ["AAPL"] });
 * lake.close();
 * if (rows.length !== 0) throw new Error();
 * ```
 */
export async function openLake({ store, cacheDir }: { store: ObjectStore; cacheDir: string }): Promise<Lake> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn: DuckDBConnection = await instance.connect();

  async function view(name: string, keys: string[], empty: string) {
    const paths = await cacheObjects(store, keys, cacheDir);
    const source = paths.length ? `read_parquet([${paths.map(sqlString).join(", ")}])` : `(${empty})`;
    await conn.run(`CREATE OR REPLACE VIEW ${name} AS SELECT * FROM ${source}`);
  }

  async function refresh() {
    for (const table of CURATED_TABLES) {
      const keys = (await store.list(layout.curatedPrefix(table))).map((o) => o.key).filter((k) =>
        k.endsWith(".parquet")
      );
      await view(table, keys, emptyTableSql(CURATED_SPECS[table]));
    }
    const hasSymbols = !!(await store.head(layout.symbols));
    await view("symbols", hasSymbols ? [layout.symbols] : [], emptyTableSql(SYMBOLS));
  }
  await refresh();

  async function sql<T>(query: string, params: DuckDBValue[] = []): Promise<T[]> {
    const prepared = await prepareReadOnly(conn, query);
    prepared.bind(params);
    const reader = await prepared.runAndReadAll()
      .catch(failStatement)
      .finally(() => prepared.destroySync());
    // Converted column by column, then one object per row (per-row conversion of each value
    // was ~70 ms of a 60k-row query).
    const names = reader.columnNames();
    const types = reader.columnTypes();
    const columns = reader.getColumnsJS().map((c, k) => plainColumn(c, types[k].typeId === DuckDBTypeId.DATE));
    const rows = new Array<Record<string, unknown>>(reader.currentRowCount);
    for (let i = 0; i < rows.length; i++) {
      const row: Record<string, unknown> = {};
      for (let k = 0; k < names.length; k++) row[names[k]] = columns[k][i];
      rows[i] = row;
    }
    return rows as T[];
  }

  /** The query for `q`, and its canonical symbols (the wire form returns positions in that list). */
  function dailyBarsSql(
    q: DailyBarsQuery,
    form: "export" | "wire" = "export",
  ): { text: string; params: DuckDBValue[]; symbols: string[] } {
    const interval = q.interval ?? "day";
    if (!DAILY_INTERVALS.includes(interval)) {
      throw new RangeError(
        `Cannot make bars of '${interval}' from daily bars: use day, week or month (bars of N minutes come from minute bars)`,
      );
    }
    if (interval !== "day") {
      const days = dailyBarsSql({ ...q, interval: "day" });
      return { ...days, text: periodBarsSql(days.text, interval) };
    }
    const { symbols } = symbolsAndDays(q, "daily bars");
    // Numbered parameters, because the wire form binds the symbol list twice.
    const params: DuckDBValue[] = [...symbols];
    const list = symbols.map((_, i) => `$${i + 1}`).join(", ");
    const keys = form === "wire" ? wireKeys(list) : EXPORT_KEYS;
    const where = [`symbol IN (${list})`];
    if (q.start) params.push(q.start), where.push(`date >= $${params.length}::DATE`);
    if (q.end) params.push(q.end), where.push(`date <= $${params.length}::DATE`);
    const filter = where.join(" AND ");
    const lineage = form === "wire" ? WIRE_LINEAGE : "source, raw_ref";
    const volumeType = form === "wire" ? "DOUBLE" : "BIGINT";
    // Partitioned by symbol, so DuckDB computes it in parallel (one symbol's first row always
    // carries its strings).
    const window = form === "wire" ? "WINDOW w AS (PARTITION BY symbol ORDER BY date)" : "";
    if (!q.adjusted) {
      return {
        text: `SELECT ${keys}, ${numbers(`volume::${volumeType}`)}, ${lineage} FROM daily_bars WHERE ${filter} ${window}
          ORDER BY symbol, date`,
        params,
        symbols,
      };
    }
    // Later splits matter for volume, so the split factor is computed over each symbol's whole
    // history before the date filter applies.
    const symbolFilter = where[0];
    const dateFilter = where.slice(1).join(" AND ") || "true";
    return {
      text: `WITH h AS (
          SELECT *, ${ADJUSTMENT_FACTORS}
          FROM daily_bars WHERE ${symbolFilter})
        SELECT ${keys}, round(open * f, 4)::DOUBLE AS open, round(high * f, 4)::DOUBLE AS high,
          round(low * f, 4)::DOUBLE AS low, adj_close::DOUBLE AS close, adj_close::DOUBLE AS adj_close,
          round(volume * later_splits)::${volumeType} AS volume, dividend::DOUBLE AS dividend, split_ratio, ${lineage}
        FROM h WHERE ${dateFilter} ${window} ORDER BY symbol, date`,
      params,
      symbols,
    };
  }

  /** Weekly or monthly bars: few rows, so the plain result conversion serves. */
  async function periodBars(q: DailyBarsQuery) {
    const { text, params } = dailyBarsSql(q);
    return await sql<DailyBarRow & Record<string, unknown>>(text, params);
  }

  /** Run the wire form and read it chunk by chunk into typed columns. */
  async function dailyColumns(q: DailyBarsQuery) {
    const { text, params, symbols } = dailyBarsSql(q, "wire");
    const result = await conn.run(text, params);
    const names = result.columnNames();
    const length = result.rowCount;
    // Each column sized once and filled chunk by chunk (no per-chunk arrays to join). The result is
    // materialized, so its chunks are read synchronously, not one awaited call each (~1 ms a chunk).
    const texts = result.columnTypes().map((t) => t.typeId === DuckDBTypeId.VARCHAR);
    const filled: Column[] = texts.map((text) => text ? new Array<string | null>(length) : new Float64Array(length));
    for (let c = 0, off = 0; c < result.chunkCount; c++) {
      const chunk = result.getChunk(c);
      const n = chunk.rowCount;
      filled.forEach((out, k) => {
        const vector = chunk.getColumnVector(k);
        if (out instanceof Float64Array) {
          for (let i = 0; i < n; i++) out[off + i] = (vector.getItem(i) as number | null) ?? NaN;
        } else {
          // Lineage comes only where it changes (the wire form): filled forward.
          let prev = off > 0 ? out[off - 1] : null;
          for (let i = 0; i < n; i++) out[off + i] = prev = (vector.getItem(i) as string | null) ?? prev;
        }
      });
      off += n;
    }
    const cols: Record<string, Column> = Object.fromEntries(names.map((name, k) => [name, filled[k]]));
    const symbolAt = cols.symbol_at as Float64Array, dayAt = cols.day as Float64Array;
    const iso = new Map<number, string>();
    const symbol = new Array<string>(length), date = new Array<string>(length);
    for (let i = 0; i < length; i++) {
      symbol[i] = symbols[symbolAt[i] - 1];
      const d = dayAt[i];
      date[i] = iso.get(d) ?? iso.set(d, daysToIso(d)).get(d)!;
    }
    const out: Record<string, Column> = { ...cols, symbol, date };
    return { names: names.map((n) => n === "symbol_at" ? "symbol" : n === "day" ? "date" : n), cols: out, length };
  }

  return {
    async getDailyBars(q) {
      if ((q.interval ?? "day") !== "day") return await periodBars(q);
      const { cols, length } = await dailyColumns(q);
      const text = (n: string) => cols[n] as string[], num = (n: string) => cols[n] as Float64Array;
      const [symbol, date, source, rawRef] = [text("symbol"), text("date"), text("source"), text("raw_ref")];
      const [open, high, low, close] = [num("open"), num("high"), num("low"), num("close")];
      const [adjClose, volume, dividend, split] = [
        num("adj_close"),
        num("volume"),
        num("dividend"),
        num("split_ratio"),
      ];
      // One object literal shape for every row: V8 builds these several times faster than keyed writes.
      const rows = new Array<DailyBarRow>(length);
      for (let i = 0; i < length; i++) {
        rows[i] = {
          symbol: symbol[i],
          date: date[i],
          open: open[i],
          high: high[i],
          low: low[i],
          close: close[i],
          adj_close: adjClose[i],
          volume: volume[i],
          dividend: dividend[i],
          split_ratio: split[i],
          source: source[i],
          raw_ref: rawRef[i],
        };
      }
      return rows;
    },
    async getDailyBarsArrow(q) {
      if ((q.interval ?? "day") !== "day") {
        const rows = await periodBars(q);
        const column = (name: string): Column =>
          TEXT_COLUMNS.has(name)
            ? rows.map((r) => r[name] as string)
            : Float64Array.from(rows, (r) => r[name] as number);
        return arrowTable(PERIOD_COLUMNS.map((name) => [name, column(name)]));
      }
      const { names, cols } = await dailyColumns(q);
      return arrowTable(names.map((name) => [name, cols[name]]));
    },
    sql,
    dailyBarsSql: (q) => {
      const { text, params } = dailyBarsSql(q);
      return { text, params };
    },
    async getMinuteBars(q) {
      const { text, params } = minuteBarsSql(q);
      return await sql<MinuteBarRow>(text, params);
    },
    minuteBarsSql,
    async getIndicators(q) {
      const { text, params } = indicatorsSql(q);
      return await sql<IndicatorRow>(text, params);
    },
    indicatorsSql,
    async getFundamentals(q) {
      const { text, params } = fundamentalsSql(q);
      return await sql<FundamentalRow>(text, params);
    },
    fundamentalsSql,
    async getSymbols({ asOf, assetTypes } = {}) {
      if (asOf !== undefined) parseIsoDay(asOf, "asOf");
      const rows = await sql<SymbolRow>("SELECT * FROM symbols ORDER BY symbol");
      return rows.filter((r) =>
        (!assetTypes || assetTypes.includes(r.asset_type)) && (asOf === undefined || listedOn(r, asOf))
      );
    },
    async exportQuery(query, params, format, outPath) {
      // Checked on its own, since it is spliced into the statement below.
      (await prepareReadOnly(conn, query)).destroySync();
      const opts = format === "parquet"
        ? "FORMAT parquet, COMPRESSION zstd"
        : format === "csv"
        ? "FORMAT csv, HEADER true"
        : "FORMAT json, ARRAY true";
      // Streamed by DuckDB with the parameters bound, into a file beside the target that is
      // renamed over it: a failed or killed export leaves the old file whole. (A new line ends the
      // query, in case it ends in a comment.)
      const temp = `${outPath}.tmp-${crypto.randomUUID()}`;
      const dir = dirname(resolve(outPath));
      if (!(await Deno.stat(dir).then((s) => s.isDirectory, () => false))) {
        throw new RangeError(`Cannot write ${outPath}: there is no directory ${dir}`);
      }
      const select = await withoutTerminator(conn, query);
      try {
        const copied = await conn.runAndReadAll(`COPY (${select}\n) TO ${sqlString(temp)} (${opts})`, params)
          .catch(failStatement);
        await Deno.rename(temp, outPath);
        return Number(copied.getRows()[0][0]);
      } catch (e) {
        await Deno.remove(temp).catch(() => {});
        throw e;
      }
    },
    refresh,
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}
