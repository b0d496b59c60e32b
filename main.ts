/**
 * Ticklake's command line: `deno task <command>` runs `main.ts <command>`; every command takes
 * `--help`. Exit codes: 0 done, 1 nothing could be done, 2 bad input.
 * @module
 */
import { parseArgs } from "node:util";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { type DailyInterval, type ExportFormat, type Lake, openLake, SqlError } from "./lake/query.ts";
import { openStore } from "./lake/open_store.ts";
import type { ObjectStore } from "./lake/store.ts";
import { createLogger } from "./pipelines/log.ts";
import { parseRange } from "./pipelines/jobs/dates.ts";
import { ingestDaily } from "./pipelines/jobs/ingest_daily.ts";
import { ingestMinuteBars } from "./pipelines/jobs/ingest_minute.ts";
import { minuteSources } from "./pipelines/jobs/minute_sources.ts";
import { resolveUniverse, UNIVERSE_NAMES } from "./pipelines/jobs/universe.ts";
import { readSymbolMaster } from "./lake/symbols_table.ts";
import { createWasmEngine } from "./lake/parquet/wasm_engine.ts";
import { listRuns } from "./lake/runs.ts";
import { createEngine } from "./pipelines/jobs/engine_choice.ts";
import { DAILY_PARSERS, yahooDailySource } from "./pipelines/jobs/daily_sources.ts";
import { rebuildDailyBars } from "./pipelines/jobs/rebuild_daily.ts";
import { computeIndicatorTables } from "./pipelines/jobs/compute_indicators.ts";
import { auditDailyBars } from "./pipelines/jobs/audit_daily.ts";
import { reconcileDailyBars } from "./pipelines/jobs/reconcile_daily.ts";
import { createProviderNet } from "./pipelines/jobs/provider_net.ts";
import { loadProviderHealth, saveProviderHealth } from "./pipelines/jobs/provider_state.ts";
import { alphaVantageDailySource, createAlphaVantageClient } from "./pipelines/sources/alphavantage/client.ts";
import { estimateBackfill } from "./pipelines/net/backfill.ts";
import { DEFAULT_LIMITS } from "./pipelines/net/rate_limiter.ts";
import { DEFAULT_QUOTAS } from "./pipelines/jobs/provider_net.ts";
import { SymbolError } from "./lake/symbol.ts";

type Flags = Record<string, string | boolean | undefined>;

/** A numeric flag, `undefined` when it is not given, or a clear error for anything but a number of 0 or more. */
function numberFlag(flags: Flags, name: string, { integer = false } = {}): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const n = String(raw).trim() === "" ? NaN : Number(raw);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new RangeError(
      `Cannot use --${name} '${raw}': expected ${integer ? "a whole number" : "a number"}, 0 or more`,
    );
  }
  return n;
}

interface Command {
  summary: string;
  usage: string;
  options: Record<string, { type: "string" | "boolean"; help: string }>;
  run(flags: Flags, config: Config): Promise<number>;
}

const lakeOption = {
  type: "string",
  help: "lake location: a directory or s3://bucket/prefix (default $TICKLAKE_LAKE or ./data)",
} as const;

function withLake(config: Config, flags: Flags): Config {
  return flags.lake ? loadConfig({ ...Deno.env.toObject(), TICKLAKE_LAKE: String(flags.lake) }) : config;
}

const today = () => new Date().toISOString().slice(0, 10);

const commands: Record<string, Command> = {
  ingest: {
    summary: "Fetch daily bars (Yahoo chart API) into the lake: raw -> staging -> curated",
    usage: "ingest (--symbols AAPL,MSFT | --universe NAME) [--from YYYY-MM-DD] [--to YYYY-MM-DD]",
    options: {
      symbols: { type: "string", help: "comma-separated symbols (BRK.B, BRK-B and BRK/B are the same)" },
      universe: { type: "string", help: `a named universe instead of --symbols: ${UNIVERSE_NAMES}` },
      from: { type: "string", help: "first date, inclusive (default 2009-01-01)" },
      to: { type: "string", help: "last date, inclusive (default today)" },
      lake: lakeOption,
      engine: { type: "string", help: "Parquet engine: wasm (default; runs anywhere) or duckdb (native)" },
      concurrency: { type: "string", help: "parallel requests (default 4)" },
      json: { type: "boolean", help: "print the summary as JSON" },
    },
    async run(flags, config) {
      config = withLake(config, flags);
      const symbols = await chosenSymbols(flags, config, "ingest");
      const store = openStore(config.lake);
      const net = createProviderNet({ store });
      const summary = await ingestDaily({
        store,
        engine: await createEngine(String(flags.engine ?? "wasm")),
        source: dailySources(config),
        net: { router: net.router, clock: net.clock },
        symbols,
        from: String(flags.from ?? "2009-01-01"),
        to: String(flags.to ?? today()),
        log: createLogger(),
        concurrency: numberFlag(flags, "concurrency", { integer: true }),
      });
      await saveProviderHealth(store, await net.snapshot());
      if (flags.json) console.log(JSON.stringify(summary, null, 2));
      else {
        console.log(
          `ingest ${summary.run_id}: ${summary.symbols_ok}/${summary.symbols_total} symbols ok` +
            ` (${summary.symbols_skipped} resumed from an earlier attempt), ${summary.symbols_failed} failed;` +
            ` ${summary.bars_fetched} bars staged, ${summary.rows_inserted} inserted, ${summary.rows_updated} updated,` +
            ` ${summary.rows_unchanged} unchanged, ${summary.rows_rejected} rejected; ${summary.partitions_written} partitions` +
            ` (and ${summary.indicator_partitions_written} of indicators) written in ${summary.elapsed_s}s`,
        );
        for (const f of summary.failures) console.log(`  failed ${f.symbol}: ${f.reason}: ${f.message}`);
      }
      return summary.symbols_ok === 0 ? 1 : 0;
    },
  },
  rebuild: {
    summary: "Rebuild curated daily bars from the raw layer alone (after a parser fix, or to check lineage)",
    usage: "rebuild [--provider yahoo|alphavantage] [--workers N] [--json]",
    options: {
      provider: { type: "string", help: "whose stored replies to parse again (default yahoo)" },
      workers: { type: "string", help: "parse and encode on N workers (default: one per core)" },
      lake: lakeOption,
      json: { type: "boolean", help: "print the summary as JSON" },
    },
    async run(flags, config) {
      config = withLake(config, flags);
      const provider = String(flags.provider ?? "yahoo");
      if (!(provider in DAILY_PARSERS)) {
        throw new RangeError(`Cannot rebuild '${provider}': expected one of ${Object.keys(DAILY_PARSERS).join(", ")}`);
      }
      const workers = numberFlag(flags, "workers", { integer: true }) ?? navigator.hardwareConcurrency;
      const engine = await createEngine("wasm", { workers });
      const started = performance.now();
      try {
        const store = openStore(config.lake), log = createLogger();
        const summary = await rebuildDailyBars({
          store,
          engine,
          provider: provider as keyof typeof DAILY_PARSERS,
          workers,
          log,
        });
        const seconds = (performance.now() - started) / 1000;
        // Bars the rebuild changed change their indicators, at any date: all years are recomputed.
        const indicators = summary.inserted + summary.updated > 0
          ? await computeIndicatorTables({ store, engine, log })
          : undefined;
        const result = { ...summary, indicator_partitions_written: indicators?.partitions ?? 0, elapsed_s: seconds };
        if (flags.json) console.log(JSON.stringify(result, null, 2));
        else {
          console.log(
            `rebuild: ${summary.replies} replies, ${summary.bars} bars (${Math.round(summary.bars / seconds)}/s);` +
              ` ${summary.inserted} inserted, ${summary.updated} updated, ${summary.unchanged} unchanged,` +
              ` ${summary.rejected} rejected; ${summary.partitions_written} partitions written` +
              (indicators ? `; indicators recomputed (${indicators.partitions} partitions)` : ""),
          );
          for (const f of summary.failed) console.log(`  failed ${f.raw_ref}: ${f.message}`);
        }
        return summary.failed.length === summary.replies && summary.replies > 0 ? 1 : 0;
      } finally {
        engine.close();
      }
    },
  },
  query: {
    summary:
      "Query daily or minute bars, indicators, SEC company facts, or any read-only SQL, and print or export the result",
    usage:
      "query (--symbols AAPL | --universe NAME) [--from ..] [--to ..] [--interval week|month] [--adjusted | --minute [--interval N] | --indicators | --fundamentals [--concepts ..] [--as-of ..]] [--format csv|parquet|json --out FILE] | query --sql 'SELECT ...'",
    options: {
      symbols: { type: "string", help: "comma-separated symbols" },
      universe: {
        type: "string",
        help: `a named universe instead of --symbols (listed:<day> for the symbols listed that day): ${UNIVERSE_NAMES}`,
      },
      from: { type: "string", help: "first date, inclusive (New York trading date)" },
      to: { type: "string", help: "last date, inclusive" },
      adjusted: { type: "boolean", help: "split- and dividend-adjusted prices" },
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
        const besideSql = flags.sql ? given(Object.keys(commands.query.options).filter((n) => !SQL_FLAGS.has(n))) : [];
        if (besideSql.length) {
          throw new RangeError(
            `Cannot query: --sql names its own tables and filters; leave out ${besideSql.join(", ")}`,
          );
        }
        const factsOnly = given(["concepts", "as-of"]);
        if (factsOnly.length && !flags.fundamentals) {
          throw new RangeError(`Cannot use ${factsOnly.join(" and ")} without --fundamentals`);
        }
        if ([flags.minute, flags.adjusted, flags.indicators, flags.fundamentals].filter(Boolean).length > 1) {
          throw new RangeError("Cannot combine --minute, --adjusted, --indicators and --fundamentals: choose one");
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
          ? lake.minuteBarsSql({ ...bars, interval })
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
      });
      return 0;
    },
  },
  runs: {
    summary: "Show recent pipeline runs and what failed, and why",
    usage: "runs [--json] [--limit N]",
    options: {
      json: { type: "boolean", help: "print JSON" },
      limit: { type: "string", help: "how many runs (default 10)" },
      lake: lakeOption,
    },
    async run(flags, config) {
      const runs = await listRuns(
        openStore(withLake(config, flags).lake),
        numberFlag(flags, "limit", { integer: true }) ?? 10,
      );
      if (flags.json) console.log(JSON.stringify(runs, null, 2));
      else {
        for (const r of runs) {
          console.log(
            `${r.run_id} ${r.job} ${r.status}: ${r.symbols_ok}/${r.symbols_total} ok, ${r.rows_landed} rows landed`,
          );
          for (const f of r.failures.slice(0, 20)) {
            console.log(`  ${f.symbol} (${f.provider}) ${f.reason}: ${f.message}`);
          }
        }
        if (runs.length === 0) console.log("no runs recorded yet");
      }
      return 0;
    },
  },
};

commands.status = {
  summary: "Show what the lake holds: rows and bytes per table, stored replies, each job's last run, runs to resume",
  usage: "status [--json] [--lake DIR|s3://...]",
  options: { json: { type: "boolean", help: "print JSON" }, lake: lakeOption },
  async run(flags, config) {
    const { lakeStatus } = await import("./pipelines/jobs/lake_status.ts");
    const s = await lakeStatus(openStore(withLake(config, flags).lake));
    if (flags.json) {
      console.log(JSON.stringify(s, null, 2));
      return 0;
    }
    const n = (x: number) => x.toLocaleString("en-US");
    const mb = (x: number) => x < 1e6 ? `${(x / 1e3).toFixed(1)} kB` : `${(x / 1e6).toFixed(1)} MB`;
    console.log(`lake ${s.lake}`);
    console.log(`${"table".padEnd(22)}${"objects".padStart(8)}${"size".padStart(12)}${"rows".padStart(14)}`);
    for (const t of s.tables) {
      console.log(
        `${t.table.padEnd(22)}${n(t.objects).padStart(8)}${mb(t.bytes).padStart(12)}${n(t.rows).padStart(14)}`,
      );
    }
    console.log(`${"raw replies".padEnd(30)}${"stored".padStart(8)}${"size".padStart(12)}`);
    for (const r of s.raw) {
      const unfinished = r.incomplete ? `  (${r.incomplete} unfinished writes, no sidecar)` : "";
      console.log(
        `${`${r.provider}/${r.dataset}`.padEnd(30)}${n(r.replies).padStart(8)}${mb(r.bytes).padStart(12)}${unfinished}`,
      );
    }
    console.log("last run per job");
    for (const r of s.latest_runs) {
      console.log(`  ${r.job.padEnd(22)}${r.status.padEnd(8)}${r.finished_at}  ${r.symbols_ok}/${r.symbols_total} ok`);
    }
    if (s.latest_runs.length === 0) console.log("  none yet");
    for (const u of s.unfinished) {
      console.log(
        `unfinished ${u.job} run (checkpoint ${u.checkpoint}, ${
          u.modified ?? "time unknown"
        }): the same command again resumes it`,
      );
    }
    return 0;
  },
};

commands.symbols = {
  summary: "Refresh the symbol master from the Nasdaq Trader directory and SEC company tickers",
  usage: "symbols [--lake DIR|s3://...]",
  options: { lake: lakeOption, json: { type: "boolean", help: "print the summary as JSON" } },
  async run(flags, config) {
    config = withLake(config, flags);
    const { refreshSymbols } = await import("./pipelines/jobs/refresh_symbols.ts");
    const r = await refreshSymbols({
      store: openStore(config.lake),
      engine: await createEngine("wasm"),
      config: config.providers,
      alphaVantageKey: config.keys.alphavantage,
      log: createLogger(),
    });
    console.log(
      flags.json
        ? JSON.stringify(r, null, 2)
        : `symbols: ${r.active} active, ${r.delisted} delisted, ${r.added} added${
          r.addedDelisted ? ` (${r.addedDelisted} delisted securities from Alpha Vantage)` : ""
        }${r.usedLastGood ? " (kept the last good master)" : ""}`,
    );
    return r.usedLastGood ? 1 : 0;
  },
};

commands.replay = {
  summary: "Run the offline provider replay server (Yahoo, Nasdaq Trader, SEC, Alpha Vantage, Alpaca formats)",
  usage: "replay [--port 9000]",
  options: { port: { type: "string", help: "port (default 9000)" } },
  async run(flags) {
    const { startReplayServer } = await import("./pipelines/replay/server.ts");
    const s = await startReplayServer({ port: numberFlag(flags, "port", { integer: true }) ?? 9000 });
    console.log(`replay server on ${s.url}`);
    await new Promise(() => {});
    return 0;
  },
};

commands.serve = {
  summary: "Serve the dashboard over the configured lake",
  usage: "serve [--port 8000] [--lake DIR|s3://...]",
  options: { port: { type: "string", help: "port (default $PORT or 8000)" }, lake: lakeOption },
  async run(flags, config) {
    config = withLake(config, flags);
    const port = numberFlag(flags, "port", { integer: true }) ?? config.port;
    await serveDashboard(openStore(config.lake), port, config.token);
    console.log(`dashboard on http://localhost:${port}/`);
    await new Promise(() => {});
    return 0;
  },
};

commands.demo = {
  summary: "Run the full offline pipeline into the lake, then serve the dashboard",
  usage: "demo [--from 2015-01-02] [--lake DIR]",
  options: { from: { type: "string", help: "first date to ingest" }, lake: lakeOption },
  async run(flags, config) {
    config = withLake(config, flags);
    const { runDemoPipeline } = await import("./pipelines/jobs/demo.ts");
    const log = createLogger();
    const env = {
      ...Deno.env.toObject(),
      TICKLAKE_LAKE: flags.lake ? String(flags.lake) : (Deno.env.get("TICKLAKE_LAKE") ?? "./data"),
    };
    const demo = await runDemoPipeline({
      env,
      engine: await createEngine("wasm"),
      from: flags.from as string | undefined,
      log,
    });
    const i = demo.ingest, m = demo.minutes, f = demo.fundamentals;
    const counts = await summarizeLake(demo.config);
    console.log([
      "",
      `Ticklake demo: lake ${demo.store.url}`,
      `  symbol master: ${demo.symbols.active} active, ${demo.symbols.delisted} delisted symbols`,
      `  daily bars: ${i.symbols_ok}/${i.symbols_total} symbols, ${i.bars_fetched} bars fetched, ${i.rows_inserted} inserted, ${i.rows_updated} updated, ${i.rows_unchanged} unchanged, ${i.rows_rejected} rejected`,
      `  curated daily_bars: ${counts.bars} rows (${counts.real} real, ${counts.simulated} simulated), ${counts.first} .. ${counts.last}`,
      `  audit (deno task audit): ${counts.audit.errors} errors, ${counts.audit.warnings} warnings`,
      `  minute bars (last week): ${m.symbols_ok}/${m.symbols_total} symbols, ${m.bars_fetched} bars in ${m.pages} pages, ${m.rows_inserted} inserted, ${m.rows_unchanged} unchanged`,
      `  fundamentals (SEC company facts; MUR recorded, the rest simulated): ${f.symbols_ok}/${f.symbols_total} companies, ${f.facts_fetched} facts, ${f.rows_inserted} inserted, ${f.rows_unchanged} unchanged`,
    ].join("\n"));
    await serveDashboard(demo.store, config.port, config.token);
    console.log(`\n  dashboard: http://localhost:${config.port}/\n`);
    await new Promise(() => {});
    return 0;
  },
};

/** The dashboard over a store, with the provider health the last runs persisted. */
async function serveDashboard(store: ObjectStore, port: number, token?: string) {
  const { serve } = await import("./web/server.ts");
  serve({ store, port, token, providerHealth: async () => (await loadProviderHealth(store))?.providers ?? [] });
}

async function summarizeLake(config: Config) {
  return await withOpenLake(config, async (lake, store) => {
    const [r] = await lake.sql<{ bars: number; real: number; simulated: number; first: string; last: string }>(
      `SELECT count(*)::INT AS bars, count(*) FILTER (source <> 'simulated')::INT AS real,
        count(*) FILTER (source = 'simulated')::INT AS simulated, min(date)::VARCHAR AS first, max(date)::VARCHAR AS last
       FROM daily_bars`,
    );
    const audit = await auditDailyBars({ lake, store, examples: 0 });
    return { ...r, audit };
  });
}

/** Open the configured lake for querying, hand it to `use`, and close it whatever happens. */
async function withOpenLake<T>(config: Config, use: (lake: Lake, store: ObjectStore) => Promise<T>): Promise<T> {
  const store = openStore(config.lake);
  const lake = await openLake({ store, cacheDir: config.cacheDir });
  try {
    return await use(lake, store);
  } finally {
    lake.close();
  }
}

/** A named universe; `listed` ones read the lake's symbol master. */
function universe(name: string, config: Config): Promise<string[]> {
  return resolveUniverse(name, { master: () => readSymbolMaster(openStore(config.lake), createWasmEngine()) });
}

/** The symbols `--symbols` or `--universe` names, or a clear error for neither (or an empty list). */
async function chosenSymbols(flags: Flags, config: Config, what: string): Promise<string[]> {
  const symbols = flags.symbols
    ? String(flags.symbols).split(",").filter((s) => s.trim() !== "")
    : flags.universe
    ? await universe(String(flags.universe), config)
    : [];
  if (flags.symbols !== undefined && symbols.length === 0) throw new SymbolError(`Cannot ${what}: --symbols is empty`);
  if (symbols.length === 0) throw new RangeError(`Cannot ${what}: give --symbols or --universe`);
  return symbols;
}

/** Daily-bar sources in failover order: Yahoo, then Alpha Vantage when a key is configured. */
function dailySources(config: Config) {
  const yahoo = yahooDailySource({ baseUrl: config.providers.yahoo });
  return config.keys.alphavantage ? [yahoo, alphaVantageSource(config)] : [yahoo];
}

/** Alpha Vantage's daily bars, or a clear error without a key. */
function alphaVantageSource(config: Config) {
  const apiKey = config.keys.alphavantage;
  if (!apiKey) throw new ConfigError("Cannot use Alpha Vantage: set ALPHAVANTAGE_API_KEY");
  return alphaVantageDailySource(createAlphaVantageClient({ baseUrl: config.providers.alphavantage, apiKey }));
}

commands["ingest-minute"] = {
  summary:
    "Fetch minute bars into the lake's month partitions: Alpaca 1Min, or Yahoo 1m (last 30 days) without Alpaca keys",
  usage: "ingest-minute --symbols AAPL,MSFT --from YYYY-MM-DD [--to YYYY-MM-DD] [--feed iex|sip]",
  options: {
    symbols: { type: "string", help: "comma-separated symbols" },
    from: { type: "string", help: "first New York trading date, inclusive" },
    to: { type: "string", help: "last date, inclusive (default today)" },
    feed: { type: "string", help: "iex (default, free) or sip (paid subscription)" },
    lake: lakeOption,
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
    const net = createProviderNet({ store });
    const summary = await ingestMinuteBars({
      store,
      engine: await createEngine(String(flags.engine ?? "wasm")),
      source: sources,
      net: { router: net.router, clock: net.clock },
      symbols,
      from: String(flags.from),
      to: String(flags.to ?? today()),
      log,
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
      for (const f of summary.failures) console.log(`  failed ${f.symbol}: ${f.reason}: ${f.message}`);
    }
    return summary.symbols_ok === 0 ? 1 : 0;
  },
};

commands.fundamentals = {
  summary: "Fetch SEC XBRL company facts into the fundamentals table (CIKs from the symbol master)",
  usage: "fundamentals --symbols AAPL,MSFT [--lake DIR|s3://...] [--json] | fundamentals --from-raw [--symbols ..]",
  options: {
    symbols: { type: "string", help: "comma-separated symbols (run `deno task symbols` first for their CIKs)" },
    "from-raw": {
      type: "boolean",
      help: "fetch nothing: curate the table again from the stored replies (all, or those of --symbols)",
    },
    lake: lakeOption,
    json: { type: "boolean", help: "print the summary as JSON" },
  },
  async run(flags, config) {
    config = withLake(config, flags);
    const symbols = String(flags.symbols ?? "").split(",").filter((s) => s.trim() !== "");
    const { rebuildFundamentals } = await import("./pipelines/jobs/ingest_fundamentals.ts");
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
    const { collectFundamentals } = await import("./pipelines/jobs/fundamentals_close.ts");
    const summary = await collectFundamentals(config, symbols);
    if (flags.json) console.log(JSON.stringify(summary, null, 2));
    else {
      console.log(
        `fundamentals ${summary.run_id}: ${summary.symbols_ok}/${summary.symbols_total} symbols ok; ` +
          `${summary.facts_fetched} facts, ${summary.rows_inserted} inserted, ${summary.rows_updated} updated, ` +
          `${summary.rows_unchanged} unchanged; ${summary.partitions_written} partitions written in ${summary.elapsed_s}s`,
      );
      for (const f of summary.failures) console.log(`  failed ${f.symbol}: ${f.reason}: ${f.message}`);
    }
    return summary.symbols_ok === 0 ? 1 : 0;
  },
};

commands.indicators = {
  summary:
    "Recompute the indicators_daily table (SMA, Bollinger, RSI, MACD, returns, volatility, ATR, dollar volume) from the curated bars",
  usage: "indicators [--lake DIR|s3://...]",
  options: { lake: lakeOption },
  async run(flags, config) {
    const r = await computeIndicatorTables({
      store: openStore(withLake(config, flags).lake),
      engine: await createEngine("wasm"),
      log: createLogger(),
    });
    console.log(`indicators: ${r.rows} rows for ${r.symbols} symbols in ${r.partitions} partitions`);
    return r.rows === 0 ? 1 : 0;
  },
};

commands.audit = {
  summary: "Check the curated daily bars across rows: duplicates, lost lineage, missing sessions, unexplained moves",
  usage: "audit [--move 0.5] [--stale 5] [--examples 20] [--json] [--lake DIR|s3://...]",
  options: {
    move: { type: "string", help: "flag a close that moved more than this share, splits taken out (default 0.5)" },
    stale: { type: "string", help: "flag a symbol this many sessions behind the lake's last day (default 5)" },
    examples: { type: "string", help: "findings listed per check (default 20)" },
    json: { type: "boolean", help: "print the report as JSON" },
    lake: lakeOption,
  },
  async run(flags, config) {
    config = withLake(config, flags);
    return await withOpenLake(config, async (lake, store) => {
      const report = await auditDailyBars({
        lake,
        store,
        moveThreshold: numberFlag(flags, "move"),
        staleSessions: numberFlag(flags, "stale", { integer: true }),
        examples: numberFlag(flags, "examples", { integer: true }),
      });
      if (flags.json) console.log(JSON.stringify(report, null, 2));
      else {
        console.log(
          `audit of ${report.bars} bars of ${report.symbols} symbols (${report.first_day ?? "-"} .. ${
            report.last_day ?? "-"
          }): ${report.errors} errors, ${report.warnings} warnings`,
        );
        for (const [check, n] of Object.entries(report.counts)) console.log(`  ${check.padEnd(26)} ${n}`);
        for (const f of report.findings) console.log(`  ${f.check} ${f.symbol} ${f.date}: ${f.detail}`);
      }
      // Like a linter: an error (a promise of the lake broken) fails the command; warnings do not.
      return report.errors > 0 ? 1 : 0;
    });
  },
};

commands.reconcile = {
  summary: "Check the curated daily bars against a second provider, day by day, without writing to them",
  usage:
    "reconcile (--symbols AAPL,MSFT | --universe ...) [--provider alphavantage|yahoo] [--from YYYY-MM-DD] [--to YYYY-MM-DD]",
  options: {
    symbols: { type: "string", help: "comma-separated symbols" },
    universe: { type: "string", help: "a named universe instead of --symbols (mind Alpha Vantage's 25 calls a day)" },
    provider: {
      type: "string",
      help: "the provider to check against (default alphavantage; needs ALPHAVANTAGE_API_KEY)",
    },
    from: { type: "string", help: "first date, inclusive (default a year before --to)" },
    to: { type: "string", help: "last date, inclusive (default today)" },
    tolerance: { type: "string", help: "relative price difference that counts (default 0.0005, 5 basis points)" },
    examples: { type: "string", help: "differences listed per kind (default 20)" },
    json: { type: "boolean", help: "print the report as JSON" },
    lake: lakeOption,
  },
  async run(flags, config) {
    config = withLake(config, flags);
    const symbols = await chosenSymbols(flags, config, "reconcile");
    const provider = String(flags.provider ?? "alphavantage");
    const source = provider === "yahoo"
      ? yahooDailySource({ baseUrl: config.providers.yahoo })
      : provider === "alphavantage"
      ? alphaVantageSource(config)
      : undefined;
    if (!source) throw new RangeError(`Cannot reconcile against '${provider}': expected alphavantage or yahoo`);
    const to = String(flags.to ?? today());
    const from = flags.from === undefined
      ? new Date(Date.parse(`${to}T00:00:00Z`) - 365 * 86_400_000).toISOString().slice(0, 10)
      : String(flags.from);
    return await withOpenLake(config, async (lake, store) => {
      const net = createProviderNet({ store });
      const report = await reconcileDailyBars({
        store,
        lakeBars: (symbol, start, end) => lake.getDailyBars({ symbols: [symbol], start, end }),
        source,
        symbols,
        from,
        to,
        net: { router: net.router, clock: net.clock },
        priceTolerance: numberFlag(flags, "tolerance"),
        examples: numberFlag(flags, "examples", { integer: true }),
        log: createLogger(),
      });
      await saveProviderHealth(store, await net.snapshot());
      if (flags.json) console.log(JSON.stringify(report, null, 2));
      else {
        const found = Object.values(report.counts).reduce((n, c) => n + c, 0);
        console.log(
          `reconcile against ${report.provider}: ${report.symbols_checked}/${report.symbols_total} symbols checked, ` +
            `${report.days_compared} days compared, ${found} differences`,
        );
        for (const [kind, n] of Object.entries(report.counts)) console.log(`  ${kind.padEnd(18)} ${n}`);
        for (const d of report.discrepancies) console.log(`  ${d.difference} ${d.symbol} ${d.date}: ${d.detail}`);
        for (const f of report.failures) console.log(`  failed ${f.symbol}: ${f.reason}: ${f.message}`);
      }
      // As the ingest does: non-zero only when nothing could be checked.
      return report.symbols_checked === 0 ? 1 : 0;
    });
  },
};

commands.providers = {
  summary: "Show each provider's health, latency, error rate, breaker state and quota left",
  usage: "providers [--json]",
  options: { json: { type: "boolean", help: "print JSON" }, lake: lakeOption },
  async run(flags, config) {
    const store = openStore(withLake(config, flags).lake);
    const saved = await loadProviderHealth(store);
    const net = createProviderNet({ store });
    const quotaLeft = Object.fromEntries((await net.snapshot()).map((s) => [s.provider, s.quotaLeft]));
    const rows = (saved?.providers ?? []).map((p) => ({ ...p, quotaLeft: quotaLeft[p.provider] ?? p.quotaLeft }));
    if (flags.json) console.log(JSON.stringify({ at: saved?.at ?? null, providers: rows }, null, 2));
    else if (!rows.length) console.log("no provider calls recorded yet: run `deno task ingest` first");
    else {
      console.log(`as of ${saved!.at}`);
      console.log("provider      score  breaker    p50 ms  errors  complete  quota left  calls");
      for (const p of rows) {
        console.log(
          `${p.provider.padEnd(13)} ${p.score.toFixed(2).padStart(5)}  ${p.breaker.padEnd(9)} ${
            String(p.p50LatencyMs ?? "-").padStart(7)
          }  ${(p.errorRate * 100).toFixed(0).padStart(5)}%  ${(p.completeness * 100).toFixed(0).padStart(7)}%  ${
            String(p.quotaLeft ?? "-").padStart(10)
          }  ${p.calls}`,
        );
      }
    }
    return 0;
  },
};

commands.backfill = {
  summary: "Backfill daily history for a universe within the providers' budgets (--dry-run plans only)",
  usage: "backfill --universe sp500 --from 2009-01-01 [--dry-run]",
  options: {
    universe: { type: "string", help: UNIVERSE_NAMES },
    from: { type: "string", help: "first date (default 2009-01-01)" },
    "dry-run": { type: "boolean", help: "print the estimate and spend nothing" },
    lake: lakeOption,
  },
  async run(flags, config) {
    config = withLake(config, flags);
    const from = String(flags.from ?? "2009-01-01");
    // Checked before the plan is printed: an impossible range has nothing to estimate.
    parseRange(from, new Date().toISOString().slice(0, 10), new Date(), "backfill");
    const symbols = await universe(String(flags.universe ?? "sp500"), config);
    // One Yahoo chart call or one Alpha Vantage outputsize=full call covers a symbol's whole history.
    const estimate = estimateBackfill({
      symbols: symbols.length,
      now: new Date(),
      providers: [
        {
          name: "yahoo",
          callsPerSymbol: 1,
          dailyLimit: Infinity,
          reservedForDaily: 0,
          perMinute: DEFAULT_LIMITS.yahoo.perSecond * 60,
        },
        {
          name: "alphavantage",
          callsPerSymbol: 1,
          dailyLimit: DEFAULT_QUOTAS.alphavantage.limit,
          reservedForDaily: DEFAULT_QUOTAS.alphavantage.reserve + 10,
          perMinute: 5,
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
    return await commands.ingest.run({ universe: String(flags.universe ?? "sp500"), from, lake: flags.lake }, config);
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

/** Two columns, the first as wide as its longest entry. */
function columns(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
}

function helpText(c: Command): string {
  const opts = columns([
    ...Object.entries(c.options).map(([k, o]): [string, string] => [`--${k}`, o.help]),
    ["--help", "show this help"],
  ]);
  return [`${c.summary}\n`, `usage: deno task ${c.usage}\n`, ...opts].join("\n");
}

function mainHelp(): string {
  return [
    "Ticklake: a self-hosted US-equities market data lake\n",
    "commands:",
    ...columns(Object.entries(commands).map(([k, c]) => [k, c.summary])),
    "\n`deno task <command> --help` explains a command's flags.",
  ].join("\n");
}

/** The query flags that go with --sql. */
const SQL_FLAGS = new Set(["sql", "format", "out", "lake"]);

export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name || name === "--help" || name === "help") {
    console.log(mainHelp());
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    console.error(`Unknown command '${name}'.\n\n${mainHelp()}`);
    return 2;
  }
  let flags: Flags;
  try {
    const options = Object.fromEntries(Object.entries(cmd.options).map(([k, o]) => [k, { type: o.type }]));
    flags = parseArgs({ args: rest, options: { ...options, help: { type: "boolean" } }, strict: true }).values as Flags;
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${helpText(cmd)}`);
    return 2;
  }
  if (flags.help) {
    console.log(helpText(cmd));
    return 0;
  }
  try {
    return await cmd.run(flags, loadConfig());
  } catch (e) {
    if (
      e instanceof ConfigError || e instanceof RangeError || e instanceof SymbolError || e instanceof TypeError ||
      e instanceof SqlError
    ) {
      console.error(`error: ${(e as Error).message}`);
      return 2;
    }
    if (e instanceof Deno.errors.AddrInUse) {
      console.error(`error: ${(e as Error).message}: set PORT (or --port) to a free port`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
