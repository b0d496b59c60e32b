/**
 * The commands that recompute curated tables from what the lake already holds.
 * @module
 */
import { createEngine } from "../jobs/engine_choice.ts";
import { createLogger } from "../log.ts";
import { DAILY_PARSERS } from "../jobs/daily_sources.ts";
import { rebuildDailyBars } from "../jobs/rebuild_daily.ts";
import { computeIndicatorTables } from "../jobs/compute_indicators.ts";
import { openStore } from "../../lake/open_store.ts";
import { type Command, lakeWriterOptions, numberFlag, withLake } from "./command.ts";

export const rebuild: Command = {
  summary: "Rebuild curated daily bars from the raw layer alone (after a parser fix, or to check lineage)",
  usage: "rebuild [--provider yahoo|alphavantage] [--workers N] [--json]",
  options: {
    provider: { type: "string", help: "whose stored replies to parse again (default yahoo)" },
    workers: { type: "string", help: "parse and encode on N workers (default: one per core)" },
    ...lakeWriterOptions,
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
};

export const indicators: Command = {
  summary:
    "Recompute the indicators_daily table (SMA, Bollinger, RSI, MACD, returns, volatility, ATR, dollar volume) from the curated bars",
  usage: "indicators [--lake DIR|s3://...]",
  options: lakeWriterOptions,
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
