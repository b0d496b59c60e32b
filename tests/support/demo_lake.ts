/**
 * A small lake built by the real offline pipeline (replay server -> ingest), shared by the web and
 * notebook tests. Fixed "now", so its content never depends on the day the tests run.
 * @module
 */
import { createWasmEngine } from "../../lake/parquet/wasm_engine.ts";
import type { ObjectStore } from "../../lake/store.ts";
import { runDemoPipeline } from "../../pipelines/jobs/demo.ts";

export const DEMO_SYMBOLS = ["AAPL", "MSFT", "NVDA", "TSLA", "S0001"];
export const DEMO_NOW = new Date("2024-12-31T23:00:00Z");

export async function makeDemoLake(): Promise<{ root: string; store: ObjectStore; symbols: string[] }> {
  const root = await Deno.makeTempDir({ prefix: "ticklake-demo-" });
  const demo = await runDemoPipeline({
    env: { TICKLAKE_LAKE: root },
    engine: createWasmEngine(),
    symbols: DEMO_SYMBOLS,
    from: "2021-01-04",
    now: () => DEMO_NOW,
  });
  await demo.close();
  return { root, store: demo.store, symbols: DEMO_SYMBOLS };
}
