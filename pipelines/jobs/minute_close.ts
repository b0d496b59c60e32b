/**
 * The scheduled minute-bar collection: the watchlist's last few sessions from Alpaca, through the
 * wasm Parquet engine so that it runs on Deno Deploy too. Minute bars cost a page per symbol and
 * month, so only the watchlist (`TICKLAKE_WATCHLIST`) is collected, not the whole universe.
 * @module
 */
import type { Config } from "../../config.ts";
import { openStore } from "../../lake/open_store.ts";
import { createWasmEngine } from "../../lake/parquet/wasm_engine.ts";
import { createLogger, type Logger } from "../log.ts";
import { ingestMinuteBars, type MinuteIngestSummary } from "./ingest_minute.ts";
import { minuteSources } from "./minute_sources.ts";
import { configuredProviderNet } from "./provider_net.ts";
import { saveProviderHealth } from "./provider_state.ts";
import { resolveUniverse } from "./universe.ts";

/** Fetch the watchlist's minute bars of the last `lookbackDays`; nothing without a watchlist. */
export async function runMinuteClose(
  config: Config,
  { lookbackDays = 3, now = () => new Date(), log = createLogger() as Logger, stop }: {
    lookbackDays?: number;
    now?: () => Date;
    log?: Logger;
    /** See `MinuteIngestOptions.stop`. */
    stop?: AbortSignal;
  } = {},
): Promise<MinuteIngestSummary | undefined> {
  if (!config.watchlist) {
    log.info("minute.skipped", { reason: "no TICKLAKE_WATCHLIST: minute bars are collected for the watchlist only" });
    return undefined;
  }
  const store = openStore(config.lake);
  await using net = configuredProviderNet(store, config.net);
  const summary = await ingestMinuteBars({
    store,
    engine: createWasmEngine(),
    source: minuteSources(config),
    net: { router: net.router, clock: net.clock },
    symbols: await resolveUniverse(`file:${config.watchlist}`),
    from: new Date(now().getTime() - lookbackDays * 86_400_000).toISOString().slice(0, 10),
    to: now().toISOString().slice(0, 10),
    now,
    log,
    stop,
  });
  await saveProviderHealth(store, await net.snapshot());
  return summary;
}
