/**
 * The scheduled daily-close collection: the demo or configured universe's last few sessions,
 * through the wasm Parquet engine so that it runs where native addons and disks don't (Deno Deploy).
 * @module
 */
import { type Config, yahooConnection } from "../../config.ts";
import { openStore } from "../../lake/open_store.ts";
import { createWasmEngine } from "../../lake/parquet/wasm_engine.ts";
import { createLogger, type Logger } from "../log.ts";
import { yahooDailySource } from "./daily_sources.ts";
import { ingestDaily, type IngestSummary } from "./ingest_daily.ts";
import { resolveUniverse } from "./universe.ts";
import { planToday } from "./daily_plan.ts";
import { configuredProviderNet } from "./provider_net.ts";
import { saveProviderHealth } from "./provider_state.ts";

/**
 * Fetch the last `lookbackDays` of bars (revisions included) for today's tiered plan, or for a
 * named universe when one is given.
 */
export async function runDailyClose(
  config: Config,
  { universe, lookbackDays = 7, now = () => new Date(), log = createLogger() as Logger, stop }: {
    universe?: string;
    lookbackDays?: number;
    now?: () => Date;
    log?: Logger;
    /** See `IngestOptions.stop`. */
    stop?: AbortSignal;
  } = {},
): Promise<IngestSummary> {
  const store = openStore(config.lake);
  const engine = createWasmEngine();
  const to = now().toISOString().slice(0, 10);
  const from = new Date(now().getTime() - lookbackDays * 86_400_000).toISOString().slice(0, 10);
  const plan = universe ? undefined : await planToday({
    store,
    engine,
    budget: config.dailyBudget,
    watchlist: config.watchlist,
    nasdaq100: config.nasdaq100,
  });
  if (plan?.shortfall) log.warn("daily.shortfall", plan.shortfall);
  if (plan) {
    log.info("daily.plan", { symbols: plan.symbols.length, tier_c: plan.tierC, rotation_days: plan.rotationDays });
  }
  await using net = configuredProviderNet(store, config.net);
  const summary = await ingestDaily({
    store,
    engine,
    source: yahooDailySource({ ...yahooConnection(config.providers), now }),
    net: { router: net.router, clock: net.clock },
    symbols: plan ? plan.symbols : await resolveUniverse(universe!),
    from,
    to,
    now,
    log,
    stop,
  });
  await saveProviderHealth(store, await net.snapshot());
  // A stopped run leaves the rotation where it was: tomorrow's plan takes the symbols it skipped.
  if (!summary.symbols_pending) await plan?.commit();
  return summary;
}
