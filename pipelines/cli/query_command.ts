/**
 * `query`: daily or minute bars, indicators, company facts or read-only SQL, printed or exported.
 * @module
 */
import { type DailyInterval, type ExportFormat, type Lake } from "../../lake/query.ts";
import { canonicalSymbols } from "../../lake/symbol.ts";
import { UNIVERSE_NAMES } from "../jobs/universe.ts";
import { chosenSymbols, type Command, lakeOption, numberFlag, withLake, withOpenLake } from "./command.ts";

/** The query flags that go with --sql. */
const SQL_FLAGS = new Set(["sql", "format", "out", "lake"]);

export const query: Command = {
  summary:
    "Query daily or minute bars, indicators, SEC company facts, or any read-only SQL, and print or export the result",
  usage:
    "query (--symbols AAPL | --universe NAME) [--from ..] [--to ..] [--interval week|month] [--adjusted] [--minute [--interval N] | --indicators | --fundamentals [--concepts ..] [--as-of ..]] [--format csv|parquet|json --out FILE] | query --sql 'SELECT ...'",
  options: {
    symbols: { type: "string", help: "comma-separated symbols" },
    universe: {
      type: "string",
      help: `a named universe instead of --symbols (listed:<day> for the symbols listed that day): ${UNIVERSE_NAMES}`,
    },
    from: { type: "string", help: "first date, inclusive (New York trading date)" },
    to: { type: "string", help: "last date, inclusive" },
    adjusted: { type: "boolean", help: "split- and dividend-adjusted prices (daily or minute bars)" },
    minute: { type: "boolean", help: "minute bars instead of daily bars" },
    interval: {
      type: "string",
      help:
        "with --minute: bars of N minutes (1 to 390), aligned to each session's New York start; with daily bars: week or month",
    },
    indicators: { type: "boolean", help: "indicators and features per bar (indicators_daily)" },
    fundamentals: { type: "boolean", help: "SEC company facts (--from/--to bound the period end)" },
    concepts: { type: "string", help: "with --fundamentals: comma-separated concepts, e.g. Revenues,NetIncomeLoss" },
    "as-of": { type: "string", help: "with --fundamentals: only facts filed on or before this date" },
    sql: {
      type: "string",
      help:
        "one read-only SQL statement over the views daily_bars, minute_bars, indicators_daily, indicators_latest, fundamentals and symbols",
    },
    format: { type: "string", help: "csv (default), parquet or json" },
    out: { type: "string", help: "write to this file instead of printing" },
    lake: lakeOption,
  },
  async run(flags, config) {
    config = withLake(config, flags);
    const format = String(flags.format ?? "csv");
    if (!["csv", "parquet", "json"].includes(format)) {
      throw new RangeError(`Cannot export as '${format}': use csv, parquet or json`);
    }
    if (format === "parquet" && !flags.out) throw new RangeError("Cannot print Parquet: give --out FILE");
    await withOpenLake(config, async (lake) => {
      // Flags a query would otherwise ignore are refused: an ignored --as-of reads like a point-in-time answer.
      const given = (names: string[]) => names.filter((n) => flags[n] !== undefined).map((n) => `--${n}`);
      const besideSql = flags.sql ? given(Object.keys(query.options).filter((n) => !SQL_FLAGS.has(n))) : [];
      if (besideSql.length) {
        throw new RangeError(
          `Cannot query: --sql names its own tables and filters; leave out ${besideSql.join(", ")}`,
        );
      }
      const factsOnly = given(["concepts", "as-of"]);
      if (factsOnly.length && !flags.fundamentals) {
        throw new RangeError(`Cannot use ${factsOnly.join(" and ")} without --fundamentals`);
      }
      if ([flags.minute, flags.indicators, flags.fundamentals].filter(Boolean).length > 1) {
        throw new RangeError("Cannot combine --minute, --indicators and --fundamentals: choose one");
      }
      if (flags.adjusted && (flags.indicators || flags.fundamentals)) {
        throw new RangeError(
          "Cannot use --adjusted with --indicators or --fundamentals: it adjusts daily or minute bars",
        );
      }
      const interval = flags.minute ? numberFlag(flags, "interval", { integer: true }) : undefined;
      const period = flags.minute ? undefined : flags.interval as DailyInterval | undefined;
      if (period && (flags.indicators || flags.fundamentals)) {
        throw new RangeError("Cannot use --interval here: it makes minute bars or daily bars longer");
      }
      const bars = {
        symbols: flags.sql ? [] : await chosenSymbols(flags, config, "query"),
        start: flags.from as string | undefined,
        end: flags.to as string | undefined,
      };
      const { text, params } = flags.sql
        ? { text: String(flags.sql), params: [] }
        : flags.minute
        ? lake.minuteBarsSql({ ...bars, interval, adjusted: !!flags.adjusted })
        : flags.indicators
        ? lake.indicatorsSql(bars)
        : flags.fundamentals
        ? lake.fundamentalsSql({
          ...bars,
          concepts: flags.concepts ? String(flags.concepts).split(",") : undefined,
          asOf: flags["as-of"] as string | undefined,
        })
        : lake.dailyBarsSql({ ...bars, adjusted: !!flags.adjusted, interval: period });
      if (flags.out) {
        const n = await lake.exportQuery(text, params, format as ExportFormat, String(flags.out));
        console.error(`wrote ${n} rows to ${flags.out}`);
      } else {
        // Printed the way --out writes, through a temp file DuckDB streams into: rows held in
        // JavaScript took 47 s and 5.8 GB for 2.1 M bars.
        const temp = await Deno.makeTempFile({ prefix: "ticklake-query-" });
        try {
          const n = await lake.exportQuery(text, params, format as ExportFormat, temp);
          // Said on stderr, so that stdout stays data: JSON prints `[]`, CSV its header.
          if (n === 0) console.error("0 rows");
          await printFile(temp);
        } finally {
          await Deno.remove(temp).catch(() => {});
        }
      }
      if (flags.sql) return;
      const table = flags.minute
        ? "minute_bars"
        : flags.indicators
        ? "indicators_daily"
        : flags.fundamentals
        ? "fundamentals"
        : "daily_bars";
      const absent = await symbolsWithoutRows(lake, table, bars.symbols);
      if (absent.length) console.error(absentNote(table, absent, bars.symbols.length));
    });
    return 0;
  },
};

/** Copy a file to stdout a block at a time; a reader that stopped early (`| head`) ends it quietly. */
async function printFile(path: string) {
  using file = await Deno.open(path);
  const block = new Uint8Array(1 << 20);
  try {
    for (let n = await file.read(block); n !== null; n = await file.read(block)) {
      for (let done = 0; done < n;) done += await Deno.stdout.write(block.subarray(done, n));
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
  }
}

/**
 * The symbols asked for that `table` holds no row of, at any date: a typo or a symbol never
 * ingested would otherwise just be missing from the output. Row-group statistics answer it.
 */
async function symbolsWithoutRows(lake: Lake, table: string, symbols: string[]): Promise<string[]> {
  const wanted = canonicalSymbols(symbols);
  const held = await lake.sql<{ symbol: string }>(
    `SELECT DISTINCT symbol FROM ${table} WHERE symbol IN (${wanted.map(() => "?").join(", ")})`,
    wanted,
  );
  const found = new Set(held.map((r) => r.symbol));
  return wanted.filter((s) => !found.has(s));
}

/** One line for stderr naming the absent symbols, the first ten of a long list. */
function absentNote(table: string, absent: string[], asked: number): string {
  const names = absent.length > 10
    ? `${absent.slice(0, 10).join(", ")} and ${absent.length - 10} more`
    : absent.join(", ");
  return `${table} holds no rows for ${
    absent.length === asked ? "" : `${absent.length} of ${asked} symbols: `
  }${names}`;
}
