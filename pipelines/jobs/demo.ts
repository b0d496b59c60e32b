/**
 * The offline demo: start the replay server, point every provider at it, refresh the symbol
 * master, ingest the demo universe's daily bars and a week of minute bars for a few of its
 * symbols, and report what landed. The caller then serves the dashboard.
 * @module
 */
import { type Config, loadConfig } from "../../config.ts";
import { openStore } from "../../lake/open_store.ts";
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import type { ObjectStore } from "../../lake/store.ts";
import { type Logger, silentLogger } from "../log.ts";
import { replayProviderEnv, startReplayServer } from "../replay/server.ts";
import { yahooDailySource } from "./daily_sources.ts";
import { ingestDaily, type IngestSummary } from "./ingest_daily.ts";
import { type FundamentalsSummary, ingestFundamentals } from "./ingest_fundamentals.ts";
import { ingestMinuteBars, type MinuteIngestSummary } from "./ingest_minute.ts";
import { alpacaMinuteSource, yahooMinuteSource } from "./minute_sources.ts";
import { refreshSymbols } from "./refresh_symbols.ts";
import { DEMO_UNIVERSE } from "./universe.ts";
import { createProviderNet, netOptions } from "./provider_net.ts";
import { saveProviderHealth } from "./provider_state.ts";
import { computeIndicatorTables } from "./compute_indicators.ts";
import { alphaVantageDailySource, createAlphaVantageClient } from "../sources/alphavantage/client.ts";
import { createEdgarClient } from "../sources/sec/edgar.ts";

export interface DemoResult {
  store: ObjectStore;
  config: Config;
  symbols: Awaited<ReturnType<typeof refreshSymbols>>;
  ingest: IngestSummary;
  /** Minute bars of the first few symbols over the last week. */
  minutes: MinuteIngestSummary;
  fundamentals: FundamentalsSummary;
  replayUrl: string;
  close(): Promise<void>;
}

/** Run the pipeline against a fresh replay server. `close()` stops the server. */
export async function runDemoPipeline(
  { env = Deno.env.toObject(), engine, from = "2015-01-02", symbols = DEMO_UNIVERSE, log = silentLogger, now }: {
    env?: Record<string, string | undefined>;
    engine: ParquetEngine;
    from?: string;
    symbols?: string[];
    log?: Logger;
    now?: () => Date;
  },
): Promise<DemoResult> {
  const replay = await startReplayServer({ port: 0, hostname: "127.0.0.1" });
  try {
    const config = loadConfig({
      ...env,
      ...replayProviderEnv(replay.url),
    });
    const store = openStore(config.lake);
    log.info("demo.replay_started", { url: replay.url, lake: store.url });
    // The replay does not hold Alpha Vantage to its 5 calls a minute: LISTING_STATUS's two lists need not wait 12 s.
    const { limits, quotas } = netOptions(config.net);
    const net = createProviderNet({
      store,
      quotas,
      limits: { ...limits, alphavantage: { ...limits.alphavantage, capacity: 2 } },
    });
    const symbolsResult = await refreshSymbols({
      store,
      engine,
      config: config.providers,
      alphaVantageKey: "demo",
      net,
      log,
      now,
    });
    const av = createAlphaVantageClient({ baseUrl: replay.url, apiKey: "demo" });
    const ingest = await ingestDaily({
      store,
      engine,
      source: [yahooDailySource({ baseUrl: replay.url, now }), alphaVantageDailySource(av)],
      net: { router: net.router, clock: net.clock },
      symbols,
      from,
      to: (now?.() ?? new Date()).toISOString().slice(0, 10),
      log,
      now,
      indicators: false, // computed below over the whole lake, whether or not this run changed bars
    });
    const today = now?.() ?? new Date();
    const minutes = await ingestMinuteBars({
      store,
      engine,
      // Alpaca first, Yahoo when it fails: the same failover order as with real keys.
      source: [
        alpacaMinuteSource({ baseUrl: replay.url, keyId: "demo", secret: "demo" }),
        yahooMinuteSource({ baseUrl: replay.url, now }),
      ],
      net: { router: net.router, clock: net.clock },
      symbols: symbols.slice(0, 4),
      from: new Date(today.getTime() - 6 * 86_400_000).toISOString().slice(0, 10),
      to: today.toISOString().slice(0, 10),
      log,
      now,
    });
    // MUR too: the company whose SEC facts are a real recording; the others' are simulated.
    const sec = createEdgarClient({ baseUrl: config.providers.secData, userAgent: config.providers.secUserAgent });
    const fundamentals = await ingestFundamentals({
      store,
      engine,
      companyFacts: sec.companyFacts,
      symbols: [...symbols, "MUR"],
      net: { router: net.router, clock: net.clock },
      log,
      now,
    });
    await saveProviderHealth(store, await net.snapshot());
    await computeIndicatorTables({ store, engine, log });
    return {
      store,
      config,
      symbols: symbolsResult,
      ingest,
      minutes,
      fundamentals,
      replayUrl: replay.url,
      close: replay.close,
    };
  } catch (e) {
    await replay.close();
    throw e;
  }
}
