/**
 * Fundamentals collection with the configured providers: `deno task fundamentals` for the symbols
 * it is given, and the weekly scheduled job for the watchlist (nothing without one), through the
 * wasm Parquet engine so that it runs on Deno Deploy too.
 * @module
 */
import type { Config } from "../../config.ts";
import { openStore } from "../../lake/open_store.ts";
import { createWasmEngine } from "../../lake/parquet/wasm_engine.ts";
import { createLogger, type Logger } from "../log.ts";
import { createEdgarClient } from "../sources/sec/edgar.ts";
import { type FundamentalsSummary, ingestFundamentals } from "./ingest_fundamentals.ts";
import { configuredProviderNet } from "./provider_net.ts";
import { saveProviderHealth } from "./provider_state.ts";
import { resolveUniverse } from "./universe.ts";

/** Fetch `symbols`' company facts from the configured SEC host through the provider net, saving its health. */
export async function collectFundamentals(
  config: Config,
  symbols: string[],
  { log = createLogger() as Logger, stop }: { log?: Logger; stop?: AbortSignal } = {},
): Promise<FundamentalsSummary> {
  const store = openStore(config.lake);
  await using net = configuredProviderNet(store, config.net);
  const sec = createEdgarClient({ baseUrl: config.providers.secData, userAgent: config.providers.secUserAgent });
  const summary = await ingestFundamentals({
    store,
    engine: createWasmEngine(),
    companyFacts: sec.companyFacts,
    symbols,
    net: { router: net.router, clock: net.clock },
    log,
    stop,
  });
  await saveProviderHealth(store, await net.snapshot());
  return summary;
}

export async function runFundamentalsClose(
  config: Config,
  { log = createLogger() as Logger, stop }: { log?: Logger; stop?: AbortSignal } = {},
): Promise<FundamentalsSummary | undefined> {
  if (!config.watchlist) {
    log.info("fundamentals.skipped", {
      reason: "no TICKLAKE_WATCHLIST: company facts are collected for the watchlist",
    });
    return undefined;
  }
  return await collectFundamentals(config, await resolveUniverse(`file:${config.watchlist}`), { log, stop });
}
