/**
 * The scheduled fundamentals collection: the watchlist's SEC company facts, once a week, through
 * the wasm Parquet engine so that it runs on Deno Deploy too. Nothing without a watchlist.
 * @module
 */
import type { Config } from "../../config.ts";
import { openStore } from "../../lake/open_store.ts";
import { createWasmEngine } from "../../lake/parquet/wasm_engine.ts";
import { createLogger, type Logger } from "../log.ts";
import { createEdgarClient } from "../sources/sec/edgar.ts";
import { type FundamentalsSummary, ingestFundamentals } from "./ingest_fundamentals.ts";
import { createProviderNet } from "./provider_net.ts";
import { saveProviderHealth } from "./provider_state.ts";
import { resolveUniverse } from "./universe.ts";

export async function runFundamentalsClose(
  config: Config,
  { log = createLogger() as Logger }: { log?: Logger } = {},
): Promise<FundamentalsSummary | undefined> {
  if (!config.watchlist) {
    log.info("fundamentals.skipped", {
      reason: "no TICKLAKE_WATCHLIST: company facts are collected for the watchlist",
    });
    return undefined;
  }
  const store = openStore(config.lake);
  const net = createProviderNet({ store });
  const sec = createEdgarClient({ baseUrl: config.providers.secData, userAgent: config.providers.secUserAgent });
  const summary = await ingestFundamentals({
    store,
    engine: createWasmEngine(),
    companyFacts: sec.companyFacts,
    symbols: await resolveUniverse(`file:${config.watchlist}`),
    net: { router: net.router, clock: net.clock },
    log,
  });
  await saveProviderHealth(store, await net.snapshot());
  return summary;
}
