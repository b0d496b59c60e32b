/**
 * The scheduled daily-close collection: the demo or configured universe's last few sessions,
 * through the wasm Parquet engine so that it runs where native addons and disks don't (Deno Deploy).
 * @module
 */
import type { Config } from "../../config.ts";
import { openStore } from "../../lake/open_store.ts";
import { createWasmEngine } from "../../lake/parquet/wasm_engine.ts";
import { createLogger, type Logger } from "../log.ts";
import { yahooDailySource } from "./daily_sources.ts";
import { ingestDaily, type IngestSummary } from "./ingest_daily.ts";
import { resolveUniverse } from "./universe.ts";

/** Fetch the last `lookbackDays` of bars (revisions included) for a universe. */
export async function runDailyClose(
  config: Config,
  { universe = "demo", lookbackDays = 7, now = () => new Date(), log = createLogger() as Logger } = {},
): Promise<IngestSummary> {
  const to = now().toISOString().slice(0, 10);
  const from = new Date(now().getTime() - lookbackDays * 86_400_000).toISOString().slice(0, 10);
  return await ingestDaily({
    store: openStore(config.lake),
    engine: createWasmEngine(),
    source: yahooDailySource({ baseUrl: config.providers.yahoo, now }),
    symbols: await resolveUniverse(universe),
    from,
    to,
    now,
    log,
  });
}
