/**
 * The commands that check the curated daily bars: across rows (audit) and against a second provider
 * (reconcile). Neither writes to the bars.
 * @module
 */
import { yahooConnection } from "../../config.ts";
import { createLogger } from "../log.ts";
import { yahooDailySource } from "../jobs/daily_sources.ts";
import { auditDailyBars } from "../jobs/audit_daily.ts";
import { reconcileDailyBars } from "../jobs/reconcile_daily.ts";
import { configuredProviderNet } from "../jobs/provider_net.ts";
import { saveProviderHealth } from "../jobs/provider_state.ts";
import {
  alphaVantageSource,
  chosenSymbols,
  type Command,
  lakeOption,
  numberFlag,
  today,
  withLake,
  withOpenLake,
} from "./command.ts";

export const audit: Command = {
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

export const reconcile: Command = {
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
      ? yahooDailySource(yahooConnection(config.providers))
      : provider === "alphavantage"
      ? alphaVantageSource(config)
      : undefined;
    if (!source) throw new RangeError(`Cannot reconcile against '${provider}': expected alphavantage or yahoo`);
    const to = String(flags.to ?? today());
    const from = flags.from === undefined
      ? new Date(Date.parse(`${to}T00:00:00Z`) - 365 * 86_400_000).toISOString().slice(0, 10)
      : String(flags.from);
    return await withOpenLake(config, async (lake, store) => {
      await using net = configuredProviderNet(store, config.net);
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
