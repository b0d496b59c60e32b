/**
 * Only `Deno.cron` registrations, at top level, in UTC. Run locally with
 * `deno run -A --unstable-cron pipelines/crons.ts`, or deploy this file to Deno Deploy with an
 * S3 lake (`TICKLAKE_LAKE=s3://...`): nothing here loads a native addon or writes to local disk.
 * @module
 */
import { loadConfig } from "../config.ts";
import { runDailyClose } from "./jobs/daily_close.ts";
import { runMinuteClose } from "./jobs/minute_close.ts";
import { refreshSymbols } from "./jobs/refresh_symbols.ts";
import { openStore } from "../lake/open_store.ts";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { createLogger } from "./log.ts";

const config = loadConfig();
// 22:30 UTC is after the 16:00 New York close in both EST and EDT, once Yahoo has the final bar.
Deno.cron("ticklake daily close", "30 22 * * 1-5", async () => {
  await runDailyClose(config);
});

// 01:30 UTC is after 20:00 New York, when the post-market minutes are complete (EST and EDT).
Deno.cron("ticklake minute bars", "30 1 * * 2-6", async () => {
  await runMinuteClose(config);
});

// The Nasdaq Trader directory is regenerated overnight; refresh before the US open.
Deno.cron("ticklake symbol master", "0 11 * * 1-5", async () => {
  await refreshSymbols({
    store: openStore(config.lake),
    engine: createWasmEngine(),
    config: config.providers,
    log: createLogger(),
  });
});
