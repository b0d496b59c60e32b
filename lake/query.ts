/**
 * The public query API over the lake, backed by DuckDB (@duckdb/node-api). Curated Parquet is
 * read in place for a local lake, or through a local cache for S3 (httpfs is not available).
 * User input only ever reaches SQL as bound parameters.
 * @module
 */
import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBPreparedStatement,
  DuckDBTypeId,
  type DuckDBValue,
  StatementType,
} from "@duckdb/node-api";
import * as arrow from "apache-arrow";
import { cacheObjects } from "./cache.ts";
import { newYorkMidnightMs, parseIsoDay } from "./calendar.ts";
import { CURATED_TABLES, layout } from "./layout.ts";
import { type Column, daysToIso } from "./schemas/columns.ts";
import { CURATED_SPECS, emptyTableSql } from "./schemas/curated.ts";
import { type PackedStrings, packStrings } from "./schemas/packed.ts";
import { type SymbolRow, SYMBOLS } from "./schemas/symbols.ts";
import { listedOn } from "./symbols_table.ts";
import type { BarRow } from "./daily_reader.ts";
import type { ObjectStore } from "./store.ts";
import { canonicalSymbol } from "./symbol.ts";

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

/** Columns for exports: readable dates and symbols. */
const EXPORT_KEYS = `symbol, strftime(date, '%Y-%m-%d') AS date`;
/**
 * Prices as doubles (decimals reach JavaScript as 128-bit words). Volume stays an integer in
 * exports; the wire form, read into typed arrays, takes it as a double too.
 */
const numbers = (volume: string) =>
  `open::DOUBLE AS open, high::DOUBLE AS high, low::DOUBLE AS low, close::DOUBLE AS close,
  adj_close::DOUBLE AS adj_close, ${volume} AS volume, dividend::DOUBLE AS dividend, split_ratio`;

/**
 * For rows built in JavaScript: the symbol as its 1-based position in the bound list and the date
 * as epoch days, so that only numbers cross from DuckDB (converting strings costs ~1 us each).
 * New names, so that ORDER BY still sorts by the table's own columns.
 */
const wireKeys = (symbolList: string) =>
  `list_position([${symbolList}], symbol)::INTEGER AS symbol_at, (date - DATE '1970-01-01')::INTEGER AS day`;

/** Lineage strings (never null in curated rows) only where they change; the reader fills them forward. */
const WIRE_LINEAGE = ["source", "raw_ref"]
  .map((c) => `CASE WHEN ${c} IS DISTINCT FROM lag(${c}) OVER w THEN ${c} END AS ${c}`).join(", ");

const SESSIONS = new Set(["pre", "regular", "post"]);

/** A query's canonical symbols and its `start..end` in epoch days: none, an impossible date or a reversed range is refused. */
function symbolsAndDays(q: { symbols: string[]; start?: string; end?: string }, what: string) {
  const symbols = [...new Set(q.symbols.map((s) => canonicalSymbol(s)))];
  if (symbols.length === 0) throw new RangeError(`Cannot query ${what}: no symbols given`);
  const from = q.start === undefined ? undefined : parseIsoDay(q.start, "start");
  const to = q.end === undefined ? undefined : parseIsoDay(q.end, "end");
  if (from !== undefined && to !== undefined && from > to) {
    throw new RangeError(`Cannot query ${q.start}..${q.end}: start is after end`);
  }
  return { symbols, from, to };
}

/**
 * The query for minute bars: New York dates become the UTC instants of their midnights, so a day
 * holds its pre-market, session and post-market bars whatever the season.
 */
function minuteBarsSql(q: MinuteBarsQuery): { text: string; params: DuckDBValue[] } {
  const { symbols, from, to } = symbolsAndDays(q, "minute bars");
  const midnight = (day: number) => new Date(newYorkMidnightMs(day)).toISOString().slice(0, 19).replace("T", " ");
  const bad = q.sessions?.find((s) => !SESSIONS.has(s));
  if (bad !== undefined) throw new RangeError(`Cannot query session '${bad}': expected pre, regular or post`);
  const interval = q.interval ?? 1;
  if (!Number.isInteger(interval) || interval < 1 || interval > 390) {
    throw new RangeError(`Cannot query minute bars of ${interval} minutes: expected a whole number from 1 to 390`);
  }
  const params: DuckDBValue[] = [...symbols];
  const where = [`symbol IN (${symbols.map(() => "?").join(", ")})`];
  if (from !== undefined) params.push(midnight(from)), where.push("ts >= ?::TIMESTAMP");
  if (to !== undefined) params.push(midnight(to + 1)), where.push("ts < ?::TIMESTAMP");
  if (q.sessions) params.push(...q.sessions), where.push(`session IN (${q.sessions.map(() => "?").join(", ")})`);
  if (interval > 1) return { text: resampledMinutesSql(where.join(" AND "), interval), params };
  return {
    text: `SELECT symbol, strftime(ts, '%Y-%m-%dT%H:%M:%SZ') AS ts, session, open::DOUBLE AS open,
        high::DOUBLE AS high, low::DOUBLE AS low, close::DOUBLE AS close, volume, trades, vwap::DOUBLE AS vwap,
        source, raw_ref
      FROM minute_bars WHERE ${where.join(" AND ")} ORDER BY symbol, minute_bars.ts`,
    params,
  };
}

/**
 * Minute bars grouped into bars of `interval` minutes. A minute's offset from its session's start
 * comes from its New York wall time; within a session no clock change happens (they fall at
 * 02:00), so the bucket's start is the minute less that offset modulo the interval.
 */
function resampledMinutesSql(where: string, interval: number): string {
  return `WITH m AS (
      SELECT *, (hour(local) * 60 + minute(local)
        - CASE session WHEN 'pre' THEN 240 WHEN 'regular' THEN 570 ELSE 960 END) % ${interval} AS past
      FROM (SELECT *, timezone('America/New_York', timezone('UTC', ts)) AS local FROM minute_bars WHERE ${where})
    )
    SELECT symbol, strftime(ts - to_minutes(past), '%Y-%m-%dT%H:%M:%SZ') AS ts, session,
      arg_min(open, m.ts)::DOUBLE AS open, max(high)::DOUBLE AS high, min(low)::DOUBLE AS low,
      arg_max(close, m.ts)::DOUBLE AS close, sum(volume)::BIGINT AS volume,
      CASE WHEN count(trades) = count(*) THEN sum(trades)::BIGINT END AS trades,
      CASE WHEN count(vwap) = count(*) AND sum(volume) > 0 THEN (sum(vwap * volume) / sum(volume))::DOUBLE END AS vwap,
      string_agg(DISTINCT source, ',' ORDER BY source) AS source,
      string_agg(DISTINCT raw_ref, ' ' ORDER BY raw_ref) AS raw_ref, count(*)::INT AS minutes
    FROM m GROUP BY symbol, session, m.ts - to_minutes(past) ORDER BY symbol, min(m.ts)`;
}

/**
 * Daily bars (the export form of `daily`, ISO dates sort as text) grouped into weeks or months:
 * first open, highest high, lowest low, last close and adj_close, summed volume and dividends, and
 * the product of the split ratios, dated by the period's last trading day.
 */
function periodBarsSql(daily: string, interval: "week" | "month"): string {
  return `SELECT symbol, max(date) AS date, arg_min(open, date) AS open, max(high) AS high, min(low) AS low,
      arg_max(close, date) AS close, arg_max(adj_close, date) AS adj_close, sum(volume)::BIGINT AS volume,
      sum(dividend) AS dividend, product(split_ratio) AS split_ratio,
      string_agg(DISTINCT source, ',' ORDER BY source) AS source,
      string_agg(DISTINCT raw_ref, ' ' ORDER BY raw_ref) AS raw_ref, count(*)::INT AS days
    FROM (${daily}) GROUP BY symbol, date_trunc('${interval}', date::DATE) ORDER BY symbol, max(date)`;
}

/** `symbol IN (...)` and `dateColumn` within the query's checked `start..end`, as `?` clauses and their values. */
function symbolAndDateFilter(q: { symbols: string[]; start?: string; end?: string }, what: string, dateColumn: string) {
  const { symbols } = symbolsAndDays(q, what);
  const params: DuckDBValue[] = [...symbols];
  const where = [`symbol IN (${symbols.map(() => "?").join(", ")})`];
  if (q.start) params.push(q.start), where.push(`${dateColumn} >= ?::DATE`);
  if (q.end) params.push(q.end), where.push(`${dateColumn} <= ?::DATE`);
  return { params, where };
}

function indicatorsSql(q: IndicatorsQuery): { text: string; params: DuckDBValue[] } {
  const { params, where } = symbolAndDateFilter(q, "indicators", "date");
  return {
    text: `SELECT symbol, strftime(date, '%Y-%m-%d') AS date, * EXCLUDE (symbol, date)
      FROM indicators_daily WHERE ${where.join(" AND ")} ORDER BY symbol, indicators_daily.date`,
    params,
  };
}

function fundamentalsSql(q: FundamentalsQuery): { text: string; params: DuckDBValue[] } {
  const { params, where } = symbolAndDateFilter(q, "fundamentals", "period_end");
  if (q.asOf !== undefined) parseIsoDay(q.asOf, "as-of date"); // refuses a date that does not exist
  if (q.concepts?.length) {
    params.push(...q.concepts), where.push(`concept IN (${q.concepts.map(() => "?").join(", ")})`);
  }
  if (q.asOf) params.push(q.asOf), where.push("filed <= ?::DATE");
  return {
    text: `SELECT symbol, concept, unit, strftime(period_start, '%Y-%m-%d') AS period_start,
        strftime(period_end, '%Y-%m-%d') AS period_end, value, fiscal_year, fiscal_period, form,
        strftime(filed, '%Y-%m-%d') AS filed, accession, source, raw_ref
      FROM fundamentals WHERE ${where.join(" AND ")}
      ORDER BY symbol, concept, fundamentals.period_end, fundamentals.period_start NULLS FIRST, fundamentals.filed, accession`,
    params,
  };
}

/** A statement the SQL escape hatch will not run (not a read), or that fails by itself: bad syntax, names or values. */
export class SqlError extends Error {
  override name = "SqlError";
}

/** DuckDB's errors that a statement causes, by their prefix; a disk, memory or internal error is not one. */
const STATEMENT_ERRORS = /^(Parser|Binder|Catalog|Conversion|Invalid Input|Out of Range|Not implemented) Error: /;

/** Throw `e`, as a {@linkcode SqlError} when the statement caused it. */
function failStatement(e: unknown): never {
  const message = e instanceof Error ? e.message.replace(/^Failed to extract statements: /, "") : "";
  throw STATEMENT_ERRORS.test(message) ? new SqlError(`Cannot run this SQL: ${message}`, { cause: e }) : e;
}

/** What the SQL escape hatch runs: reads of the lake's views, never a change to them or to a file. */
const READ_ONLY = new Set([StatementType.SELECT, StatementType.EXPLAIN]);

/**
 * `query` prepared, when it is one read-only statement (SELECT, WITH, FROM, VALUES, DESCRIBE,
 * SHOW, SUMMARIZE, EXPLAIN). Anything else (two statements, COPY, DROP, SET, ATTACH) is refused
 * before it runs.
 */
async function prepareReadOnly(conn: DuckDBConnection, query: string): Promise<DuckDBPreparedStatement> {
  if (!query.trim()) throw new SqlError("Cannot run this SQL: it is empty");
  const statements = await conn.extractStatements(query).catch(failStatement);
  if (statements.count !== 1) {
    throw new SqlError(`Cannot run this SQL: it holds ${statements.count} statements, and one is allowed`);
  }
  const prepared = await statements.prepare(0).catch(failStatement);
  const type = prepared.statementType;
  if (!READ_ONLY.has(type)) {
    prepared.destroySync();
    throw new SqlError(
      `Cannot run this SQL: only reads are allowed (SELECT, DESCRIBE, SUMMARIZE, EXPLAIN), not ${StatementType[type]}`,
    );
  }
  return prepared;
}

/**
 * One statement without its closing `;` and what follows it (blanks, comments), so that it fits
 * inside `COPY (...)`. A last `;` inside a string or a comment stays: what follows it is then no
 * run of blanks and comments.
 */
async function withoutTerminator(conn: DuckDBConnection, statement: string): Promise<string> {
  const end = statement.lastIndexOf(";");
  if (end < 0) return statement;
  // (DuckDB fails to extract from text without statements, so one is put after it.)
  const after = await conn.extractStatements(`${statement.slice(end + 1)}\nSELECT 1`).catch(() => undefined);
  return after?.count === 1 ? statement.slice(0, end) : statement;
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

const PERIOD_COLUMNS = "symbol date open high low close adj_close volume dividend split_ratio source raw_ref days"
  .split(" ");
const TEXT_COLUMNS = new Set(["symbol", "date", "source", "raw_ref"]);

/**
 * Columns as an Arrow table: numbers as Float64, strings as dictionaries (they repeat, and encoding
 * every row's string to UTF-8 instead was most of the daily call's time).
 */
function arrowTable(columns: [string, Column][]): arrow.Table {
  return new arrow.Table(Object.fromEntries(columns.map(([name, col]) => [
    name,
    col instanceof Float64Array ? arrow.makeVector(col) : dictionaryVector(packStrings(col)),
  ])));
}

/** Packed strings as an Arrow dictionary vector (nulls, if any, kept). */
function dictionaryVector({ dict, keys }: PackedStrings): arrow.Vector {
  let nullBitmap: Uint8Array | undefined;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] >= 0) continue;
    nullBitmap ??= new Uint8Array((keys.length + 7) >> 3).fill(255);
    nullBitmap[i >> 3] &= ~(1 << (i & 7));
    keys[i] = 0;
  }
  const type = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32());
  const dictionary = arrow.vectorFromArray(dict, new arrow.Utf8());
  return arrow.makeVector(arrow.makeData({ type, length: keys.length, nullBitmap, data: keys, dictionary }));
}

/**
 * One column of DuckDB's JS values (bigint, decimals as numbers, Date) as plain JSON-friendly
 * values: DATE as `YYYY-MM-DD`, TIMESTAMP as `YYYY-MM-DDTHH:MM:SS` (UTC). Values repeat down a
 * column, so each distinct one is formatted once.
 */
function plainColumn(values: unknown[], isDate: boolean): unknown[] {
  const iso = new Map<number, string>();
  return values.map((v) => {
    if (typeof v === "bigint") return Number(v);
    if (!(v instanceof Date)) return v;
    let text = iso.get(v.getTime());
    if (text === undefined) iso.set(v.getTime(), text = v.toISOString().slice(0, isDate ? 10 : 19));
    return text;
  });
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
          SELECT *, adj_close / close AS f,
            coalesce(exp(sum(ln(split_ratio)) OVER (PARTITION BY symbol ORDER BY date
              ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)), 1) AS later_splits
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
