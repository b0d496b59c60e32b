/**
 * The commands that fetch from providers into the lake: daily and minute bars, company facts,
 * the symbol master, and a budgeted backfill.
 * @module
 */
import { createEngine } from "../jobs/engine_choice.ts";
import { createLogger } from "../log.ts";
import { listenForStop, stoppedExit } from "../interrupt.ts";
import type { RunSummary } from "../../lake/runs.ts";
import { ingestDaily } from "../jobs/ingest_daily.ts";
import { ingestMinuteBars } from "../jobs/ingest_minute.ts";
import { minuteSources } from "../jobs/minute_sources.ts";
import { UNIVERSE_NAMES } from "../jobs/universe.ts";
import { parseRange } from "../jobs/dates.ts";
import { configuredProviderNet, netOptions } from "../jobs/provider_net.ts";
import { saveProviderHealth } from "../jobs/provider_state.ts";
import { estimateBackfill } from "../net/backfill.ts";
import { openStore } from "../../lake/open_store.ts";
import { SymbolError } from "../../lake/symbol.ts";
import {
  chosenSymbols,
  type Command,
  dailySources,
  lakeWriterOptions,
  numberFlag,
  today,
  universe,
  withLake,
} from "./command.ts";

/** A run's failures, and what a stop left, under its summary line. */
function printFailures({ failures, symbols_pending }: RunSummary) {
  for (const f of failures) console.log(`  failed ${f.symbol}: ${f.reason}: ${f.message}`);
  if (symbols_pending) console.log(`  stopped: ${symbols_pending} symbols not fetched; the same command fetches them`);
}

/** A stop's code (128 + the signal), else 1 when no symbol was done. */
function exitCode(summary: RunSummary, stop: AbortSignal): number {
  return stoppedExit(stop) ?? (summary.symbols_ok === 0 ? 1 : 0);
}

export const ingest: Command = {
  summary: "Fetch daily bars (Yahoo chart API) into the lake: raw -> staging -> curated",
  usage: "ingest (--symbols AAPL,MSFT | --universe NAME) [--from YYYY-MM-DD] [--to YYYY-MM-DD]",
  options: {
    symbols: { type: "string", help: "comma-separated symbols (BRK.B, BRK-B and BRK/B are the same)" },
    universe: { type: "string", help: `a named universe instead of --symbols: ${UNIVERSE_NAMES}` },
    from: { type: "string", help: "first date, inclusive (default 2009-01-01)" },
    to: { type: "string", help: "last date, inclusive (default today)" },
    ...lakeWriterOptions,
    engine: { type: "string", help: "Parquet engine: wasm (default; runs anywhere) or duckdb (native)" },
    concurrency: { type: "string", help: "parallel requests (default 4)" },
    json: { type: "boolean", help: "print the summary as JSON" },
  },
  async run(flags, config) {
    config = withLake(config, flags);
    const symbols = await chosenSymbols(flags, config, "ingest");
    const store = openStore(config.lake);
    await using net = configuredProviderNet(store, config.net);
    const log = createLogger();
    using stop = listenForStop(log);
    const summary = await ingestDaily({
      store,
      engine: await createEngine(String(flags.engine ?? "wasm")),
      source: dailySources(config),
      net: { router: net.router, clock: net.clock },
      symbols,
      from: String(flags.from ?? "2009-01-01"),
      to: String(flags.to ?? today()),
      log,
      concurrency: numberFlag(flags, "concurrency", { integer: true, min: 1 }),
      stop: stop.signal,
    });
    await saveProviderHealth(store, await net.snapshot());
    if (flags.json) console.log(JSON.stringify(summary, null, 2));
    else {
      console.log(
        `ingest ${summary.run_id}: ${summary.symbols_ok}/${summary.symbols_total} symbols ok` +
          ` (${summary.symbols_skipped} resumed from an earlier attempt), ${summary.symbols_failed} failed,` +
          ` ${summary.symbols_restated} fetched again from their first bar (a split or dividend since, or a gap);` +
          ` ${summary.bars_fetched} bars staged, ${summary.rows_inserted} inserted, ${summary.rows_updated} updated,` +
          ` ${summary.rows_unchanged} unchanged, ${summary.rows_rejected} rejected; ${summary.partitions_written} partitions` +
          ` (and ${summary.indicator_partitions_written} of indicators) written in ${summary.elapsed_s}s`,
      );
      for (const day of Object.keys(summary.open_sessions)) {
        console.log(
          `  the session of ${day} had not closed: its bars so far were left out (a run after the close brings them)`,
        );
      }
      printFailures(summary);
    }
    return exitCode(summary, stop.signal);
  },
};

export const ingestMinute: Command = {
  summary:
    "Fetch minute bars into the lake's month partitions: Alpaca 1Min, or Yahoo 1m (last 30 days) without Alpaca keys",
  usage: "ingest-minute --symbols AAPL,MSFT --from YYYY-MM-DD [--to YYYY-MM-DD] [--feed iex|sip]",
  options: {
    symbols: { type: "string", help: "comma-separated symbols" },
    from: { type: "string", help: "first New York trading date, inclusive" },
    to: { type: "string", help: "last date, inclusive (default today)" },
    feed: { type: "string", help: "iex (default, free) or sip (paid subscription)" },
    ...lakeWriterOptions,
    engine: { type: "string", help: "Parquet engine: wasm (default; runs anywhere) or duckdb (native)" },
    json: { type: "boolean", help: "print the summary as JSON" },
  },
  async run(flags, config) {
    config = withLake(config, flags);
    const symbols = String(flags.symbols ?? "").split(",").filter((s) => s.trim() !== "");
    if (symbols.length === 0) throw new SymbolError("Cannot ingest minute bars: give --symbols");
    if (!flags.from) throw new RangeError("Cannot ingest minute bars: give --from");
    const feed = String(flags.feed ?? "iex");
    if (feed !== "iex" && feed !== "sip") throw new RangeError(`Cannot use --feed '${feed}': expected iex or sip`);
    const sources = minuteSources(config, feed);
    const log = createLogger();
    if (sources[0].provider !== "alpaca") {
      log.warn("minute.yahoo_only", {
        reason: "APCA_API_KEY_ID and APCA_API_SECRET_KEY are not set: minute bars come from Yahoo (last 30 days only)",
      });
    }
    const store = openStore(config.lake);
    await using net = configuredProviderNet(store, config.net);
    using stop = listenForStop(log);
    const summary = await ingestMinuteBars({
      store,
      engine: await createEngine(String(flags.engine ?? "wasm")),
      source: sources,
      net: { router: net.router, clock: net.clock },
      symbols,
      from: String(flags.from),
      to: String(flags.to ?? today()),
      log,
      stop: stop.signal,
    });
    await saveProviderHealth(store, await net.snapshot());
    if (flags.json) console.log(JSON.stringify(summary, null, 2));
    else {
      console.log(
        `ingest-minute ${summary.run_id}: ${summary.symbols_ok}/${summary.symbols_total} symbols ok, ` +
          (summary.resumed
            ? `resumed (${summary.symbol_months_skipped} symbol-months already curated, ` +
              `${summary.symbol_months_reparsed} parsed again from raw), `
            : "") +
          `${summary.symbols_failed} failed; ${summary.pages} pages, ${summary.bars_fetched} bars, ` +
          `${summary.rows_inserted} inserted, ${summary.rows_updated} updated, ${summary.rows_unchanged} unchanged, ` +
          `${summary.rows_rejected} rejected; ${summary.partitions_written} partitions written in ${summary.elapsed_s}s` +
          `; symbol-months served by ${
            Object.entries(summary.served_by).map(([p, n]) => `${p} ${n}`).join(", ") || "none"
          }` +
          (summary.symbol_months_clipped
            ? `; ${summary.symbol_months_clipped} symbol-months only from the provider's horizon on`
            : ""),
      );
      printFailures(summary);
    }
    return exitCode(summary, stop.signal);
  },
};

export const fundamentals: Command = {
  summary: "Fetch SEC XBRL company facts into the fundamentals table (CIKs from the symbol master)",
  usage: "fundamentals --symbols AAPL,MSFT [--lake DIR|s3://...] [--json] | fundamentals --from-raw [--symbols ..]",
  options: {
    symbols: { type: "string", help: "comma-separated symbols (run `deno task symbols` first for their CIKs)" },
    "from-raw": {
      type: "boolean",
      help: "fetch nothing: curate the table again from the stored replies (all, or those of --symbols)",
    },
    ...lakeWriterOptions,
    json: { type: "boolean", help: "print the summary as JSON" },
  },
  async run(flags, config) {
    config = withLake(config, flags);
    const symbols = String(flags.symbols ?? "").split(",").filter((s) => s.trim() !== "");
    const { rebuildFundamentals } = await import("../jobs/ingest_fundamentals.ts");
    if (flags["from-raw"]) {
      const r = await rebuildFundamentals({
        store: openStore(config.lake),
        engine: await createEngine("wasm"),
        symbols: symbols.length ? symbols : undefined,
        log: createLogger(),
      });
      if (flags.json) console.log(JSON.stringify(r, null, 2));
      else {
        console.log(
          `fundamentals from raw: ${r.replies} replies of ${r.symbols} symbols; ${r.inserted} inserted, ` +
            `${r.updated} updated, ${r.unchanged} unchanged; ${r.partitions_written} partitions written`,
        );
        for (const f of r.failed) console.log(`  not parsed ${f.raw_ref}: ${f.message}`);
      }
      return r.replies > 0 && r.failed.length === r.replies ? 1 : 0;
    }
    if (symbols.length === 0) throw new SymbolError("Cannot ingest fundamentals: give --symbols");
    const { collectFundamentals } = await import("../jobs/fundamentals_close.ts");
    const log = createLogger();
    using stop = listenForStop(log);
    const summary = await collectFundamentals(config, symbols, { log, stop: stop.signal });
    if (flags.json) console.log(JSON.stringify(summary, null, 2));
    else {
      console.log(
        `fundamentals ${summary.run_id}: ${summary.symbols_ok}/${summary.symbols_total} symbols ok; ` +
          `${summary.facts_fetched} facts, ${summary.rows_inserted} inserted, ${summary.rows_updated} updated, ` +
          `${summary.rows_unchanged} unchanged; ${summary.partitions_written} partitions written in ${summary.elapsed_s}s`,
      );
      printFailures(summary);
    }
    return exitCode(summary, stop.signal);
  },
};

export const symbols: Command = {
  summary: "Refresh the symbol master from the Nasdaq Trader directory and SEC company tickers",
  usage: "symbols [--lake DIR|s3://...]",
  options: {
    ...lakeWriterOptions,
    json: { type: "boolean", help: "print the summary as JSON" },
  },
  async run(flags, config) {
    config = withLake(config, flags);
    const { runSymbolRefresh } = await import("../jobs/refresh_symbols.ts");
    const r = await runSymbolRefresh(config, { log: createLogger() });
    console.log(
      flags.json
        ? JSON.stringify(r, null, 2)
        : `symbols: ${r.active} active (${
          Object.entries(r.activeByType).sort((a, b) => b[1] - a[1]).map(([t, n]) => `${n} ${t}`).join(", ")
        }), ${r.delisted} delisted, ${r.added} added${
          r.addedDelisted ? ` (${r.addedDelisted} delisted securities from Alpha Vantage)` : ""
        }${r.usedLastGood ? ` (kept the last good master: ${r.error})` : ""}`,
    );
    return r.usedLastGood ? 1 : 0;
  },
};

export const backfill: Command = {
  summary: "Backfill daily history for a universe within the providers' budgets (--dry-run plans only)",
  usage: "backfill --universe sp500 --from 2009-01-01 [--dry-run]",
  options: {
    universe: { type: "string", help: UNIVERSE_NAMES },
    from: { type: "string", help: "first date (default 2009-01-01)" },
    "dry-run": { type: "boolean", help: "print the estimate and spend nothing" },
    ...lakeWriterOptions,
  },
  async run(flags, config) {
    config = withLake(config, flags);
    const from = String(flags.from ?? "2009-01-01");
    // Checked before the plan is printed: an impossible range has nothing to estimate.
    parseRange(from, new Date().toISOString().slice(0, 10), new Date(), "backfill");
    const symbols = await universe(String(flags.universe ?? "sp500"), config);
    // One Yahoo chart call or one Alpha Vantage outputsize=full call covers a symbol's whole history.
    const { limits, quotas } = netOptions(config.net);
    const estimate = estimateBackfill({
      symbols: symbols.length,
      now: new Date(),
      providers: [
        {
          name: "yahoo",
          callsPerSymbol: 1,
          dailyLimit: Infinity,
          reservedForDaily: 0,
          perMinute: limits.yahoo.perSecond * 60,
        },
        {
          name: "alphavantage",
          callsPerSymbol: 1,
          dailyLimit: quotas.alphavantage?.limit ?? Infinity,
          // Ten more for the daily jobs: the close's failover calls, the symbol refresh's two lists.
          reservedForDaily: quotas.alphavantage ? quotas.alphavantage.reserve + 10 : 0,
          perMinute: limits.alphavantage.perSecond * 60,
        },
      ],
    });
    console.log(`backfill ${symbols.length} symbols from ${from}:`);
    for (const e of estimate) {
      console.log(
        `  ${e.provider.padEnd(13)} ${e.calls} calls, ${
          e.freePerDay === Infinity ? "no daily quota" : `${e.freePerDay} free calls/day`
        }, ` +
          `${e.quotaDays ?? "never"} quota day(s), ~${e.minutesAtRateLimit} min at the rate limit, finishes ${
            e.finishesAt ?? "never"
          }`,
      );
    }
    if (flags["dry-run"]) return 0;
    return await ingest.run({ universe: String(flags.universe ?? "sp500"), from, lake: flags.lake }, config);
  },
};
