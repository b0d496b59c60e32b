/// <reference lib="dom" />
/**
 * The page's one DuckDB-WASM instance, created lazily. The wasm and worker come from our own
 * origin; the lake's Parquet files are registered by URL so DuckDB reads them with HTTP range
 * requests. Every query is a prepared statement with `?` parameters.
 * @module
 */
import { decimalNumber } from "./decimal.ts";
import * as duckdb from "@duckdb/duckdb-wasm";
import { layout } from "../../lake/layout.ts";

export type Row = Record<string, unknown>;

interface Catalog {
  tables: { name: string; files: { key: string; url: string; size: number }[] }[];
}

let ready: Promise<duckdb.AsyncDuckDBConnection> | undefined;
let views: Promise<void> | undefined;
/** Registered file names by table, for the views. */
const tableFiles = new Map<string, string[]>();
/**
 * Registered partitions by year (company facts by filing year), so a query can name only the
 * years it needs.
 */
const dailyFiles = new Map<number, string>();
const indicatorFiles = new Map<number, string>();
const factFiles = new Map<number, string>();
const yearFiles = new Map(
  Object.entries({ daily_bars: dailyFiles, indicators_daily: indicatorFiles, fundamentals: factFiles }),
);
/** Registered minute-bars partitions by month (`YYYY-MM`). */
const minuteFiles = new Map<string, string>();

const DAILY_VIEW = `SELECT symbol, date, open::DOUBLE AS open, high::DOUBLE AS high, low::DOUBLE AS low,
  close::DOUBLE AS close, adj_close::DOUBLE AS adj_close, volume::DOUBLE AS volume, dividend::DOUBLE AS dividend,
  split_ratio, source, ingested_at, raw_ref`;

let db: duckdb.AsyncDuckDB | undefined;

/** The lake's files, or the server's reason for having none to give (the lake out of reach: 503). */
async function fetchCatalog(): Promise<Catalog> {
  const res = await fetch("/api/catalog");
  const body = await res.json();
  if (!res.ok) throw new Error(body?.error ?? `the server answered ${res.status}`);
  return body;
}

async function init(): Promise<duckdb.AsyncDuckDBConnection> {
  // The catalog arrives while the wasm compiles.
  const catalog = fetchCatalog();
  catalog.catch(() => {}); // awaited below, once the wasm is in: its failure is reported there
  const worker = new Worker("/duckdb/duckdb-browser-eh.worker.js");
  db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
  await db.instantiate("/duckdb/duckdb-eh.wasm");
  const conn = await db.connect();
  // Keep Parquet footers after the first read, so a symbol switch does not fetch them again.
  await conn.query("SET enable_object_cache = true");
  await register(await catalog);
  return conn;
}

/**
 * Register the catalog's files. A name carries its object's version: footers are cached by name,
 * and a partition an ingest replaced is a new file to read from its own footer.
 */
async function register(catalog: Catalog) {
  for (const t of catalog.tables) {
    const names = [];
    for (const f of t.files) {
      const url = new URL(f.url, location.href);
      const name = `${f.key.replaceAll("/", "__")}__v${url.searchParams.get("v")}`;
      await db!.registerFileURL(name, url.href, duckdb.DuckDBDataProtocol.HTTP, false);
      names.push(`'${name}'`);
      const year = layout.partitionYear(f.key);
      if (year !== undefined) yearFiles.get(t.name)?.set(year, name);
      const month = /month=(\d{4}-\d{2})/.exec(f.key)?.[1];
      if (t.name === "minute_bars" && month) minuteFiles.set(month, name);
    }
    tableFiles.set(t.name, names);
  }
}

/**
 * The server refuses a file replaced since the catalog named it (HTTP 412): DuckDB-WASM says so
 * for a range, and only that it failed to open the file for its first request. A query that named
 * files before a reload dropped them finds none.
 */
const LAKE_CHANGED = /status: 412|Failed to open file|No files found that match/;
let reloading: Promise<void> | undefined;

/**
 * Run `read`; when the lake changed under the page (an ingest replaced a partition), take the new
 * catalog and run it once more. `read` names its files as it runs, so the second run names the new ones.
 */
async function afterLakeChange<T>(read: () => Promise<T>): Promise<T> {
  const seen = reloading;
  try {
    return await read();
  } catch (e) {
    if (!LAKE_CHANGED.test(String((e as Error)?.message))) throw e;
    // One reload for every query that failed on the same change.
    if (reloading === seen) reloading = reload();
    await reloading;
    return await read();
  }
}

/**
 * Take the catalog afresh. The old names stay registered, unused (DuckDB-WASM's dropFiles() did
 * not return while a failed read was pending); views and statements are made again on next use.
 */
async function reload() {
  const catalog = await fetchCatalog();
  for (const closing of statements.values()) close(closing);
  statements.clear();
  for (const files of [tableFiles, dailyFiles, indicatorFiles, factFiles, minuteFiles]) files.clear();
  views = undefined;
  await register(catalog);
}

/**
 * A view per lake table. Binding a view reads a footer over HTTP, so views are made on the first
 * query that may name them, not at start-up: the symbol view, which names its partitions, never waits.
 */
async function createViews(conn: duckdb.AsyncDuckDBConnection) {
  for (const [table, names] of tableFiles) {
    // Decimals reach JavaScript as 128-bit words; the views hand charts plain doubles instead.
    const select = table === "daily_bars" ? DAILY_VIEW : "SELECT *";
    if (names.length) {
      await conn.query(`CREATE OR REPLACE VIEW ${table} AS ${select} FROM read_parquet([${names.join(",")}])`);
    }
  }
  if (!tableFiles.get("daily_bars")?.length) {
    await conn.query(`CREATE OR REPLACE VIEW daily_bars AS SELECT NULL::VARCHAR AS symbol, NULL::DATE AS date,
      NULL::DOUBLE AS open, NULL::DOUBLE AS high, NULL::DOUBLE AS low, NULL::DOUBLE AS close, NULL::DOUBLE AS adj_close,
      NULL::DOUBLE AS volume, NULL::DOUBLE AS dividend, NULL::DOUBLE AS split_ratio, NULL::VARCHAR AS source,
      NULL::TIMESTAMP AS ingested_at, NULL::VARCHAR AS raw_ref WHERE false`);
  }
  if (!tableFiles.has("symbols")) {
    await conn.query(
      `CREATE OR REPLACE VIEW symbols AS SELECT NULL::VARCHAR AS symbol, NULL::VARCHAR AS "name" WHERE false`,
    );
  }
}

function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  return v;
}

/** Rows as plain objects, with the result's column names: a result without rows still has them. */
export interface Result {
  columns: string[];
  rows: Row[];
}

/** Run a query with parameters over the lake's views; rows as plain objects (BigInt -> number, DATE -> ISO string). */
export async function query(sql: string, params: unknown[] = []): Promise<Row[]> {
  return (await queryResult(sql, params)).rows;
}

/** {@linkcode query} with the result's column names. */
export function queryResult(sql: string, params: unknown[] = []): Promise<Result> {
  return afterLakeChange(async () => {
    const conn = await (ready ??= init());
    await (views ??= createViews(conn));
    return await run(conn, sql, params);
  });
}

/**
 * The page's own statements that name their files, prepared once: a symbol switch binds new values
 * to the same statement instead of preparing it again (10 to 25 ms each). The oldest is closed
 * beyond `KEPT_STATEMENTS` (other date ranges make other statements).
 */
const statements = new Map<string, Promise<duckdb.AsyncPreparedStatement>>();
const KEPT_STATEMENTS = 16;

/** Close a statement once prepared; one that failed to prepare has nothing to close. */
function close(statement: Promise<duckdb.AsyncPreparedStatement>) {
  void statement.then((s) => s.close()).catch(() => {});
}

/**
 * Run a query that names its files itself (no views needed). `sql` names them from the registered
 * files when it runs, so a run after a catalog reload names the new ones; undefined when the lake
 * has none of the files it needs (no rows).
 */
function queryFiles(sql: () => string | undefined, params: unknown[] = []): Promise<Row[]> {
  return afterLakeChange(async () => {
    const conn = await (ready ??= init());
    const text = sql();
    if (text === undefined) return [];
    let stmt = statements.get(text);
    if (!stmt) {
      statements.set(text, stmt = conn.prepare(text));
      stmt.catch(() => statements.delete(text));
      if (statements.size > KEPT_STATEMENTS) {
        const [oldest, closing] = statements.entries().next().value!;
        statements.delete(oldest);
        close(closing);
      }
    }
    return plainRows(await (await stmt).query(...params));
  });
}

async function run(conn: duckdb.AsyncDuckDBConnection, sql: string, params: unknown[]): Promise<Result> {
  const stmt = await conn.prepare(sql);
  try {
    const table = await stmt.query(...params);
    return { columns: table.schema.fields.map((f) => f.name), rows: plainRows(table) };
  } finally {
    await stmt.close();
  }
}

/** An Arrow result as plain rows: BigInt and decimals as numbers, dates and timestamps as ISO text. */
function plainRows(table: Awaited<ReturnType<duckdb.AsyncPreparedStatement["query"]>>): Row[] {
  // Column by column: a row object per Arrow row (toJSON) cost more than the query.
  const columns = table.schema.fields.map((f) => {
    const type = String(f.type), vector = table.getChild(f.name)!;
    // Decimals arrive as unscaled 128-bit integers (493.92 at scale 4 is 4939200).
    const scale = 10 ** ((f.type as { scale?: number }).scale ?? 0);
    const value: (v: unknown) => unknown = type.startsWith("Date")
      ? (v) => new Date(Number(v)).toISOString().slice(0, 10)
      : type.startsWith("Timestamp")
      ? (v) => new Date(Number(v)).toISOString()
      : type.startsWith("Decimal")
      ? (v) => decimalNumber(v as Uint32Array) / scale
      : plain;
    return [
      f.name,
      Array.from({ length: table.numRows }, (_, i) => {
        const v = vector.get(i);
        return v == null ? null : value(v);
      }),
    ] as const;
  });
  return Array.from({ length: table.numRows }, (_, i) => {
    const out: Row = {};
    for (const [k, values] of columns) out[k] = values[i];
    return out;
  });
}

/**
 * One symbol's daily bars in `[from, to]`, reading only the partitions that can hold them: fewer
 * footers and row groups fetched than the all-years view. `columns` and file names are ours,
 * never user input.
 */
export async function symbolBars(symbol: string, from: string, to: string, columns: string[]): Promise<Row[]> {
  return await symbolRows(dailyFiles, DAILY_VIEW, symbol, from, to, columns);
}

/**
 * One symbol's rows of `indicators_daily` in `[from, to]`, read as `symbolBars` reads bars. Columns
 * the partitions lack (written before the table gained its features) are left out, not an error.
 */
export async function symbolIndicators(symbol: string, from: string, to: string): Promise<Row[]> {
  const wanted = `date sma_20 sma_50 bb_upper bb_lower rsi_14 macd macd_signal macd_hist volatility_20d atr_14
    dollar_volume_20d`.split(/\s+/).map((c) => `'${c}'`);
  const columns = [`COLUMNS(c -> list_contains([${wanted.join(", ")}], c))`];
  return await symbolRows(indicatorFiles, "SELECT *", symbol, from, to, columns);
}

async function symbolRows(
  files: Map<number, string>,
  select: string,
  symbol: string,
  from: string,
  to: string,
  columns: string[],
): Promise<Row[]> {
  const [a, b] = [Number(from.slice(0, 4)), Number(to.slice(0, 4))];
  return await queryFiles(() => {
    const names = [...files].filter(([y]) => y >= a && y <= b).map(([, n]) => `'${n}'`);
    if (!names.length) return undefined;
    return `SELECT ${columns.join(", ")} FROM (${select} FROM read_parquet([${names.join(",")}]))
      WHERE symbol = ? AND date BETWEEN ?::DATE AND ?::DATE ORDER BY date`;
  }, [symbol, from, to]);
}

/**
 * Every symbol's indicators and features on the lake's newest day, from `indicators_latest` (one
 * row per symbol), with ATR as a share of price and the close against SMA(50); none before an
 * indicators run has written it. All columns are read, so a table written before a feature was
 * added shows that feature empty rather than failing.
 */
export async function latestFeatures(): Promise<Row[]> {
  const rows = await queryFiles(() => {
    const file = tableFiles.get("indicators_latest")?.[0];
    if (!file) return undefined;
    return `SELECT * FROM read_parquet(${file}) WHERE date = (SELECT max(date) FROM read_parquet(${file}))
      ORDER BY dollar_volume_20d DESC NULLS LAST, symbol`;
  });
  const ratio = (a: unknown, b: unknown) => (typeof a === "number" && typeof b === "number" ? a / b : null);
  return rows.map((r) => ({
    ...r,
    atr_share: ratio(r.atr_14, r.adj_close),
    vs_sma_50: typeof r.sma_50 === "number" ? ratio(r.adj_close, r.sma_50)! - 1 : null,
  }));
}

/** Whether the lake has any daily-bars partition. */
export async function hasDailyBars(): Promise<boolean> {
  await (ready ??= init());
  return dailyFiles.size > 0;
}

/** Whether the lake has any minute-bars partition. */
export async function hasMinuteBars(): Promise<boolean> {
  await (ready ??= init());
  return minuteFiles.size > 0;
}

/** Whether the lake has an `indicators_daily` partition. */
export async function hasIndicators(): Promise<boolean> {
  await (ready ??= init());
  return indicatorFiles.size > 0;
}

/**
 * The lake's first symbol and last day, from the newest partition's footer statistics alone:
 * no column data is fetched to choose the page's defaults.
 */
export async function lakeExtent(): Promise<{ symbol: string | null; last: string | null }> {
  const [r] = await queryFiles(() => {
    const year = Math.max(...dailyFiles.keys());
    if (!Number.isFinite(year)) return undefined;
    return `SELECT min(stats_min_value) FILTER (path_in_schema = 'symbol') AS symbol,
        max(stats_max_value) FILTER (path_in_schema = 'date') AS last
      FROM parquet_metadata('${dailyFiles.get(year)}')`;
  });
  return (r ?? { symbol: null, last: null }) as { symbol: string | null; last: string | null };
}

/**
 * The minute bars of `symbol`'s last New York day with a session on or before `day`: pre-market,
 * session and post-market. Only the month of `day` is read, and the next month's partition if it
 * exists (a post-market runs past midnight UTC); nothing when the lake holds no minute bars for it.
 */
export async function lastSessionMinutes(symbol: string, day: string): Promise<Row[]> {
  const month = day.slice(0, 7);
  const next = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 1)).toISOString().slice(0, 7);
  return await queryFiles(() => {
    if (!minuteFiles.has(month)) return undefined;
    const files = [month, next].flatMap((m) => minuteFiles.has(m) ? [`'${minuteFiles.get(m)}'`] : []);
    // The day runs from 00:00 New York, 9.5 hours before its 09:30 open whatever the season, for 24 hours.
    return `WITH m AS (SELECT ts, session, high::DOUBLE AS high, low::DOUBLE AS low, close::DOUBLE AS close
        FROM read_parquet([${files.join(",")}]) WHERE symbol = ?),
      opened AS (SELECT min(ts) AS t FROM m WHERE session = 'regular' AND ts::DATE =
        (SELECT max(ts::DATE) FROM m WHERE session = 'regular' AND ts::DATE <= ?::DATE))
      SELECT m.* FROM m, opened WHERE ts >= t - INTERVAL 570 MINUTE AND ts < t + INTERVAL 870 MINUTE ORDER BY ts`;
  }, [symbol, day]);
}

/** The annual figures the fundamentals panel shows, as SEC concepts. */
const ANNUAL_CONCEPTS = ["Revenues", "NetIncomeLoss", "EarningsPerShareBasic", "Assets"];

/**
 * A symbol's annual figures from 10-Ks filed by `asOf` (no look-ahead): for each concept and fiscal
 * year end, the value of the latest such filing (a restatement wins), a year's duration or a
 * year-end instant. Only the partitions of the last `years` filing years are read.
 */
export async function annualFundamentals(symbol: string, asOf: string, years = 6): Promise<Row[]> {
  const last = Number(asOf.slice(0, 4));
  return await queryFiles(() => {
    const names = [...factFiles].filter(([y]) => y > last - years && y <= last).map(([, n]) => `'${n}'`);
    if (!names.length) return undefined;
    return `SELECT concept, period_end, arg_max(value, filed) AS value, arg_max(source, filed) AS source
      FROM read_parquet([${names.join(",")}])
      WHERE symbol = ? AND form = '10-K' AND filed <= ?::DATE AND concept IN (${
      ANNUAL_CONCEPTS.map(() => "?").join(", ")
    })
        AND (period_start IS NULL OR period_end - period_start > 300)
      GROUP BY concept, period_end ORDER BY period_end`;
  }, [symbol, asOf, ...ANNUAL_CONCEPTS]);
}
