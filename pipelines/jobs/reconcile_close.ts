/**
 * The weekly check of the lake against Alpha Vantage: a few of the lake's symbols each week, in
 * turn, over their last year, read with the wasm Parquet engine so that it runs on Deno Deploy.
 * Without a key it does nothing and says so; with one it spends `perWeek` of the 25 daily calls.
 * @module
 */
import type { Config } from "../../config.ts";
import { partitionSymbols, readSymbolBars } from "../../lake/daily_reader.ts";
import { layout } from "../../lake/layout.ts";
import { openStore } from "../../lake/open_store.ts";
import { createWasmEngine } from "../../lake/parquet/wasm_engine.ts";
import { finishRun, newRunId } from "../../lake/runs.ts";
import { isoToDays } from "../../lake/schemas/columns.ts";
import { alphaVantageDailySource, createAlphaVantageClient } from "../sources/alphavantage/client.ts";
import { createLogger, type Logger } from "../log.ts";
import { configuredProviderNet } from "./provider_net.ts";
import { saveProviderHealth } from "./provider_state.ts";
import { reconcileDailyBars, type ReconcileReport } from "./reconcile_daily.ts";

/** `perWeek` symbols of `all` (sorted), moving on by that many each week, so every symbol comes round. */
export function weeklyTurn(all: string[], perWeek: number, now: Date): string[] {
  if (all.length <= perWeek) return all;
  const week = Math.floor(now.getTime() / (7 * 86_400_000));
  const start = (week * perWeek) % all.length;
  return Array.from({ length: perWeek }, (_, k) => all[(start + k) % all.length]).sort();
}

export async function runReconcileClose(
  config: Config,
  { perWeek = 5, now = () => new Date(), log = createLogger() as Logger }: {
    perWeek?: number;
    now?: () => Date;
    log?: Logger;
  } = {},
): Promise<ReconcileReport | { skipped: string }> {
  const apiKey = config.keys.alphavantage;
  if (!apiKey) {
    log.warn("reconcile.skipped", { reason: "no ALPHAVANTAGE_API_KEY" });
    return { skipped: "no ALPHAVANTAGE_API_KEY" };
  }
  const store = openStore(config.lake);
  const engine = createWasmEngine();
  const startedAt = now();
  // The symbols of the newest year partition: those the lake keeps current.
  const years = (await store.list(layout.dailyBarsPrefix)).map((o) => layout.partitionYear(o.key) ?? -1);
  const newest = Math.max(...years);
  let symbols = new Set<string>();
  const file = newest >= 0 ? await store.openRead(layout.dailyBarsPartition(newest)) : undefined;
  if (file) {
    try {
      symbols = await partitionSymbols(engine, file);
    } finally {
      await file.close();
    }
  }
  if (!symbols.size) {
    log.warn("reconcile.skipped", { reason: "no daily bars in the lake" });
    return { skipped: "no daily bars in the lake" };
  }
  const to = startedAt.toISOString().slice(0, 10);
  const from = new Date(startedAt.getTime() - 365 * 86_400_000).toISOString().slice(0, 10);
  await using net = configuredProviderNet(store, config.net);
  const report = await reconcileDailyBars({
    store,
    lakeBars: (symbol, start, end) => readSymbolBars(store, engine, symbol, isoToDays(start), isoToDays(end)),
    source: alphaVantageDailySource(createAlphaVantageClient({ baseUrl: config.providers.alphavantage, apiKey })),
    symbols: weeklyTurn([...symbols].sort(), perWeek, startedAt),
    from,
    to,
    net: { router: net.router, clock: net.clock },
    now,
    log,
  });
  await saveProviderHealth(store, await net.snapshot());
  // The run's record: `deno task runs` lists it with the symbols it could not check.
  await finishRun(
    store,
    "reconcile",
    { run_id: newRunId(startedAt), started_at: startedAt.toISOString() },
    now(),
    {
      symbols_total: report.symbols_total,
      symbols_ok: report.symbols_checked,
      symbols_failed: report.failures.length,
      rows_inserted: 0,
      rows_updated: 0,
      failures: report.failures.map((f) => ({ ...f, provider: report.provider })),
    },
    { days_compared: report.days_compared, counts: report.counts, discrepancies: report.discrepancies },
  );
  return report;
}
