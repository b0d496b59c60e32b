/**
 * Curating a daily load from staging, in its own process so that the parent reads this process's
 * peak RSS (VmHWM) alone. `prepare` stages the load first (simulated Yahoo replies, as an ingest
 * stages them).
 * Usage: deno run -A bench/daily_curate_child.ts <lake dir> prepare|stream|whole <symbols>
 *   stream: the ingest's way (one pass over the staged files, a streaming merge per year);
 *   whole:  the baseline (every staged batch decoded, then merged per year in memory).
 * @module
 */
import { layout } from "../lake/layout.ts";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import type { Batch } from "../lake/schemas/columns.ts";
import { DAILY_BARS } from "../lake/schemas/daily_bars.ts";
import { createLocalStore } from "../lake/store_local.ts";
import { curateDailyBars, curateStaged } from "../pipelines/jobs/curate_daily.ts";
import { simulatedSymbols } from "../pipelines/jobs/universe.ts";
import { yahooChartBody } from "../pipelines/replay/yahoo.ts";
import { parseChartBody } from "../pipelines/sources/yahoo/client.ts";
import { toDailyBars } from "../pipelines/sources/yahoo/daily.ts";
import { stageBars } from "../pipelines/stages/curate_daily_bars.ts";
import { peakRssBytes } from "./peak_rss.ts";

const [root, mode, count] = Deno.args;
const store = createLocalStore(root);
const engine = createWasmEngine();
const now = new Date("2025-12-31T23:00:00Z");
const range = { fromDay: Date.parse("2009-01-02") / 86_400_000, toDay: Date.parse("2025-12-31") / 86_400_000 };
const symbols = simulatedSymbols(Number(count));
const keys = symbols.map((s) => layout.staging("daily_bars", "bench", s));

const started = performance.now();
let rows = 0;
if (mode === "prepare") {
  for (const [i, symbol] of symbols.entries()) {
    const chart = parseChartBody(new TextEncoder().encode(yahooChartBody(symbol, { ...range, now })), symbol);
    const { batch } = stageBars(toDailyBars(chart, { symbol, ...range }).batch, now.getTime(), `raw/bench/${symbol}`);
    rows += batch.length;
    await store.put(keys[i], await engine.encode(batch, DAILY_BARS));
  }
} else if (mode === "stream") {
  rows = (await curateStaged(store, engine, keys)).bars;
} else {
  const batches: Batch[] = [];
  for (const key of keys) batches.push(await engine.decode((await store.get(key))!, DAILY_BARS));
  rows = batches.reduce((n, b) => n + b.length, 0);
  await curateDailyBars(store, engine, batches);
}
console.log(JSON.stringify({ ms: performance.now() - started, rows, peakRssBytes: peakRssBytes() }));
