/**
 * `deno task audit`: checks across rows that a row-level validation cannot make. Errors break a
 * promise of the lake (one row per symbol and day, every row traceable to its raw reply);
 * warnings are what a researcher should know before trusting a series (a session without a bar,
 * a move no split explains, an adjustment with no event behind it, a day without volume, a symbol
 * that stopped updating).
 * @module
 */
import { HOLIDAYS_KNOWN_FROM, sessionClosedBy, tradingDays } from "../../lake/calendar.ts";
import { daysToIso, isoToDays } from "../../lake/schemas/columns.ts";
import type { Lake } from "../../lake/query.ts";
import type { ObjectStore } from "../../lake/store.ts";
import { tally } from "./tally.ts";

/** The checks, in report order. */
export const CHECKS = [
  "duplicate_bar",
  "missing_lineage",
  "missing_session",
  "bar_on_closed_day",
  "unfinished_session",
  "unexplained_move",
  "adjustment_without_event",
  "zero_volume",
  "stale_symbol",
] as const;
export type Check = (typeof CHECKS)[number];

const ERRORS: ReadonlySet<Check> = new Set(["duplicate_bar", "missing_lineage"]);

export interface Finding {
  check: Check;
  symbol: string;
  date: string;
  detail: string;
}

export interface AuditReport {
  symbols: number;
  bars: number;
  first_day: string | null;
  last_day: string | null;
  /** Findings per check (every check listed, 0 when clean). */
  counts: Record<Check, number>;
  errors: number;
  warnings: number;
  /** Up to `examples` findings per check, by symbol and date. */
  findings: Finding[];
}

export interface AuditOptions {
  lake: Lake;
  store: ObjectStore;
  /** A close more than this far from the previous one, split taken out, is a move to explain (0.5: ±50%). */
  moveThreshold?: number;
  /** Sessions behind the lake's last day after which a symbol counts as stale. */
  staleSessions?: number;
  examples?: number;
}

/** The checks as SQL over `daily_bars`, each giving (symbol, date, detail) rows. */
function checkQueries(
  moveThreshold: number,
  staleSessions: number,
): Record<Exclude<Check, "missing_lineage" | "unfinished_session">, string> {
  const steps =
    `SELECT symbol, date, close::DOUBLE AS close, adj_close::DOUBLE AS adj, split_ratio, dividend::DOUBLE AS dividend,
      volume, lag(close::DOUBLE) OVER w AS prev_close, lag(adj_close::DOUBLE) OVER w AS prev_adj
    FROM daily_bars WINDOW w AS (PARTITION BY symbol ORDER BY date)`;
  // The known sessions, passed as one comma-separated parameter ($1), within the holiday years
  // (none: an empty lake, or one older than them).
  const sessions = `SELECT d::DATE AS date FROM unnest(string_split($1, ',')) AS t(d) WHERE d <> ''`;
  return {
    duplicate_bar:
      `SELECT symbol, date, 'rows: ' || count(*) AS detail FROM daily_bars GROUP BY ALL HAVING count(*) > 1`,
    missing_session: `WITH s AS (${sessions}),
      spans AS (SELECT symbol, min(date) AS first, max(date) AS last FROM daily_bars GROUP BY symbol)
      SELECT spans.symbol, s.date, 'no bar on an NYSE session between the first and last bar' AS detail
      FROM spans JOIN s ON s.date BETWEEN spans.first AND spans.last
      WHERE NOT EXISTS (SELECT 1 FROM daily_bars b WHERE b.symbol = spans.symbol AND b.date = s.date)`,
    bar_on_closed_day: `WITH s AS (${sessions})
      SELECT symbol, date, 'the NYSE was closed' AS detail FROM daily_bars
      WHERE year(date) >= ${HOLIDAYS_KNOWN_FROM} AND date NOT IN (SELECT date FROM s)`,
    unexplained_move: `WITH t AS (${steps})
      SELECT symbol, date, printf('close %.4f after %.4f (split ratio %g): %+.1f%%', close, prev_close, split_ratio,
        (close * split_ratio / prev_close - 1) * 100) AS detail
      FROM t WHERE abs(close * split_ratio / prev_close - 1) > ${moveThreshold}`,
    // adj_close / close changes only on an ex-date (a dividend or split that day); adj_close's
    // four decimals allow a small drift on low prices.
    adjustment_without_event: `WITH t AS (${steps})
      SELECT symbol, date, printf('adj_close/close moved %+.3f%% with no dividend or split', ((adj / close) / (prev_adj / prev_close) - 1) * 100) AS detail
      FROM t WHERE dividend = 0 AND split_ratio = 1
        AND abs((adj / close) / (prev_adj / prev_close) - 1) > 0.002 + 0.0001 / adj + 0.0001 / prev_adj`,
    zero_volume: `SELECT symbol, date, 'volume 0' AS detail FROM daily_bars WHERE volume = 0`,
    stale_symbol: `WITH s AS (${sessions}),
      last AS (SELECT symbol, max(date) AS date FROM daily_bars GROUP BY symbol),
      behind AS (SELECT last.symbol, last.date, count(s.date) AS sessions FROM last
        LEFT JOIN s ON s.date > last.date AND s.date <= (SELECT max(date) FROM daily_bars) GROUP BY ALL)
      SELECT symbol, date, 'last bar ' || sessions || ' sessions before the lake''s last day' AS detail
      FROM behind WHERE sessions > ${staleSessions}`,
  };
}

/** Raw objects the rows name that the store no longer holds. */
async function missingLineage(lake: Lake, store: ObjectStore): Promise<Finding[]> {
  const refs = await lake.sql<{ raw_ref: string; symbol: string; date: string; rows: number }>(
    `SELECT raw_ref, min(symbol) AS symbol, strftime(min(date), '%Y-%m-%d') AS date, count(*)::INT AS rows
     FROM daily_bars GROUP BY raw_ref ORDER BY symbol, date`,
  );
  // One listing per dataset folder, not one request per reply.
  const folders = [...new Set(refs.map((r) => r.raw_ref.split("/").slice(0, 3).join("/") + "/"))];
  const held = new Set((await Promise.all(folders.map((f) => store.list(f)))).flat().map((o) => o.key));
  return refs.filter((r) => !held.has(r.raw_ref)).map((r) => ({
    check: "missing_lineage" as const,
    symbol: r.symbol,
    date: r.date,
    detail: `${r.rows} rows name ${r.raw_ref}, which the raw layer does not hold`,
  }));
}

/**
 * Bars fetched before their session closed: the day so far (ingests since leave these out; an
 * older lake may hold some). A later fetch of the day replaces one.
 */
async function unfinishedSessions(lake: Lake): Promise<Finding[]> {
  // Every session closes by 21:00 UTC of its day, so only bars fetched before then are candidates.
  const rows = await lake.sql<{ symbol: string; date: string; fetched: number }>(
    `SELECT symbol, strftime(date, '%Y-%m-%d') AS date, epoch_ms(ingested_at)::DOUBLE AS fetched FROM daily_bars
     WHERE ingested_at < date + INTERVAL 21 HOUR ORDER BY symbol, date`,
  );
  return rows.filter((r) => !sessionClosedBy(isoToDays(r.date), r.fetched)).map((r) => ({
    check: "unfinished_session" as const,
    symbol: r.symbol,
    date: r.date,
    detail: `fetched at ${new Date(r.fetched).toISOString()}, before the session closed: the day so far`,
  }));
}

export async function auditDailyBars(
  { lake, store, moveThreshold = 0.5, staleSessions = 5, examples = 20 }: AuditOptions,
): Promise<AuditReport> {
  if (!(moveThreshold > 0)) {
    throw new RangeError(`Cannot audit with a move threshold of ${moveThreshold}: it must be > 0`);
  }
  for (const [what, n] of [["stale sessions", staleSessions], ["examples", examples]] as const) {
    if (!(Number.isInteger(n) && n >= 0)) {
      throw new RangeError(`Cannot audit with ${n} ${what}: expected a whole number >= 0`);
    }
  }
  const [span] = await lake.sql<{ symbols: number; bars: number; first: string | null; last: string | null }>(
    `SELECT count(DISTINCT symbol)::INT AS symbols, count(*)::INT AS bars, strftime(min(date), '%Y-%m-%d') AS first,
       strftime(max(date), '%Y-%m-%d') AS last FROM daily_bars`,
  );
  const known = (iso: string) => Number(iso.slice(0, 4)) >= HOLIDAYS_KNOWN_FROM;
  const sessions = span.first && span.last
    ? tradingDays(isoToDays(span.first), isoToDays(span.last)).map(daysToIso).filter(known)
    : [];
  const all: Finding[] = [];
  for (const [check, query] of Object.entries(checkQueries(moveThreshold, staleSessions))) {
    const rows = await lake.sql<{ symbol: string; date: string; detail: string }>(
      `SELECT symbol, strftime(date, '%Y-%m-%d') AS date, detail FROM (${query}) ORDER BY symbol, date`,
      query.includes("$1") ? [sessions.join(",")] : [],
    );
    all.push(...rows.map((r) => ({ check: check as Check, ...r })));
  }
  all.push(...await missingLineage(lake, store), ...await unfinishedSessions(lake));

  const { counts, examples: findings } = tally(CHECKS, all, (f) => f.check, examples);
  const errors = all.filter((f) => ERRORS.has(f.check)).length;
  return {
    symbols: span.symbols,
    bars: span.bars,
    first_day: span.first,
    last_day: span.last,
    counts,
    errors,
    warnings: all.length - errors,
    findings,
  };
}
