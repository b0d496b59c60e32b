/**
 * The SQL the query API runs for each kind of question, with user input only as `?` parameters.
 * Each builder checks its query first (symbols, real dates, a range that is not reversed).
 * @module
 */
import type { DuckDBValue } from "@duckdb/node-api";
import { newYorkMidnightMs, parseIsoDay } from "./calendar.ts";
import { canonicalSymbols } from "./symbol.ts";
import type { FundamentalsQuery, IndicatorsQuery, MinuteBarsQuery } from "./query.ts";

/** Columns for exports: readable dates and symbols. */
export const EXPORT_KEYS = `symbol, strftime(date, '%Y-%m-%d') AS date`;
/**
 * Prices as doubles (decimals reach JavaScript as 128-bit words). Volume stays an integer in
 * exports; the wire form, read into typed arrays, takes it as a double too.
 */
export const numbers = (volume: string) =>
  `open::DOUBLE AS open, high::DOUBLE AS high, low::DOUBLE AS low, close::DOUBLE AS close,
  adj_close::DOUBLE AS adj_close, ${volume} AS volume, dividend::DOUBLE AS dividend, split_ratio`;

/**
 * For rows built in JavaScript: the symbol as its 1-based position in the bound list and the date
 * as epoch days, so that only numbers cross from DuckDB (converting strings costs ~1 us each).
 * New names, so that ORDER BY still sorts by the table's own columns.
 */
export const wireKeys = (symbolList: string) =>
  `list_position([${symbolList}], symbol)::INTEGER AS symbol_at, (date - DATE '1970-01-01')::INTEGER AS day`;

/** Lineage strings (never null in curated rows) only where they change; the reader fills them forward. */
export const WIRE_LINEAGE = ["source", "raw_ref"]
  .map((c) => `CASE WHEN ${c} IS DISTINCT FROM lag(${c}) OVER w THEN ${c} END AS ${c}`).join(", ");

export const SESSIONS = new Set(["pre", "regular", "post"]);

/** A query's canonical symbols and its `start..end` in epoch days: none, an impossible date or a reversed range is refused. */
export function symbolsAndDays(q: { symbols: string[]; start?: string; end?: string }, what: string) {
  const symbols = canonicalSymbols(q.symbols);
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
export function minuteBarsSql(q: MinuteBarsQuery): { text: string; params: DuckDBValue[] } {
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
  const chosen = `SELECT * FROM minute_bars WHERE ${where.join(" AND ")}`;
  const minutes = q.adjusted ? adjustedMinutesSql(chosen) : chosen;
  if (interval > 1) return { text: resampledMinutesSql(minutes, interval), params };
  return {
    text: `SELECT symbol, strftime(ts, '%Y-%m-%dT%H:%M:%SZ') AS ts, session, open::DOUBLE AS open,
        high::DOUBLE AS high, low::DOUBLE AS low, close::DOUBLE AS close, volume, trades, vwap::DOUBLE AS vwap,
        source, raw_ref
      FROM (${minutes}) minute_bars ORDER BY symbol, minute_bars.ts`,
    params,
  };
}

/**
 * A daily bar's adjustment, for the columns of `daily_bars` over each symbol's whole history: `f`
 * scales its prices (adj_close / close: the splits and dividends after it), `later_splits` its
 * volume. Computed before any date filter, since later splits matter to earlier bars.
 */
export const ADJUSTMENT_FACTORS = `adj_close / close AS f,
  coalesce(exp(sum(ln(split_ratio)) OVER (PARTITION BY symbol ORDER BY date
    ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)), 1) AS later_splits`;

/**
 * `minutes` (minute_bars rows) on the adjusted daily bars' basis: prices scaled by their New York
 * day's adj_close / close (the splits and dividends after that day, as adjusted daily bars are),
 * volume by the splits after it. A minute whose day has no daily bar cannot be adjusted: the query
 * fails saying so, rather than mixing adjusted and unadjusted prices.
 */
function adjustedMinutesSql(minutes: string): string {
  return `WITH m AS (SELECT *, timezone('America/New_York', timezone('UTC', ts))::DATE AS day FROM (${minutes})),
    a AS (
      SELECT symbol, date, ${ADJUSTMENT_FACTORS}
      FROM daily_bars WHERE symbol IN (SELECT DISTINCT symbol FROM m)),
    j AS (
      SELECT m.*, a.later_splits, CASE WHEN a.f IS NULL THEN error('Cannot adjust the minute bars of ' || m.symbol
        || ' on ' || m.day || ': the lake has no daily bar for that day (ingest its daily bars first)') ELSE a.f END AS f
      FROM m LEFT JOIN a ON a.symbol = m.symbol AND a.date = m.day)
    SELECT * EXCLUDE (day, f, later_splits) REPLACE (round(open * f, 4) AS open, round(high * f, 4) AS high,
      round(low * f, 4) AS low, round(close * f, 4) AS close, round(vwap * f, 4) AS vwap,
      round(volume * later_splits)::BIGINT AS volume)
    FROM j`;
}

/**
 * Minute bars (`minutes`, a query of minute_bars rows) grouped into bars of `interval` minutes. A
 * minute's offset from its session's start comes from its New York wall time; within a session no
 * clock change happens (they fall at 02:00), so the bucket's start is the minute less that offset
 * modulo the interval.
 */
export function resampledMinutesSql(minutes: string, interval: number): string {
  return `WITH m AS (
      SELECT *, (hour(local) * 60 + minute(local)
        - CASE session WHEN 'pre' THEN 240 WHEN 'regular' THEN 570 ELSE 960 END) % ${interval} AS past
      FROM (SELECT *, timezone('America/New_York', timezone('UTC', ts)) AS local FROM (${minutes}))
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
export function periodBarsSql(daily: string, interval: "week" | "month"): string {
  return `SELECT symbol, max(date) AS date, arg_min(open, date) AS open, max(high) AS high, min(low) AS low,
      arg_max(close, date) AS close, arg_max(adj_close, date) AS adj_close, sum(volume)::BIGINT AS volume,
      sum(dividend) AS dividend, product(split_ratio) AS split_ratio,
      string_agg(DISTINCT source, ',' ORDER BY source) AS source,
      string_agg(DISTINCT raw_ref, ' ' ORDER BY raw_ref) AS raw_ref, count(*)::INT AS days
    FROM (${daily}) GROUP BY symbol, date_trunc('${interval}', date::DATE) ORDER BY symbol, max(date)`;
}

/** `symbol IN (...)` and `dateColumn` within the query's checked `start..end`, as `?` clauses and their values. */
export function symbolAndDateFilter(
  q: { symbols: string[]; start?: string; end?: string },
  what: string,
  dateColumn: string,
) {
  const { symbols } = symbolsAndDays(q, what);
  const params: DuckDBValue[] = [...symbols];
  const where = [`symbol IN (${symbols.map(() => "?").join(", ")})`];
  if (q.start) params.push(q.start), where.push(`${dateColumn} >= ?::DATE`);
  if (q.end) params.push(q.end), where.push(`${dateColumn} <= ?::DATE`);
  return { params, where };
}

export function indicatorsSql(q: IndicatorsQuery): { text: string; params: DuckDBValue[] } {
  const { params, where } = symbolAndDateFilter(q, "indicators", "date");
  return {
    text: `SELECT symbol, strftime(date, '%Y-%m-%d') AS date, * EXCLUDE (symbol, date)
      FROM indicators_daily WHERE ${where.join(" AND ")} ORDER BY symbol, indicators_daily.date`,
    params,
  };
}

export function fundamentalsSql(q: FundamentalsQuery): { text: string; params: DuckDBValue[] } {
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
