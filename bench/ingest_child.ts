/**
 * Runs one rebuild of curated daily bars from a lake's raw layer in its own process, so the
 * parent can read this process's peak RSS (VmHWM) without the parent's own allocations.
 * Usage: deno run -A bench/ingest_child.ts <lake dir> <engine>
 * @module
 */
import { createLocalStore } from "../lake/store_local.ts";
import { createEngine } from "../pipelines/jobs/engine_choice.ts";
import { rebuildDailyBars } from "../pipelines/jobs/rebuild_daily.ts";
import { peakRssBytes } from "./peak_rss.ts";

const [root, engineName = "wasm"] = Deno.args;
const store = createLocalStore(root);
const workers = Number(Deno.env.get("BENCH_WORKERS") ?? navigator.hardwareConcurrency);
const engine = await createEngine(engineName, { workers });
const started = performance.now();
const summary = await rebuildDailyBars({
  store,
  engine,
  provider: "yahoo",
  workers,
});
engine.close();
const ms = performance.now() - started;
console.log(
  JSON.stringify({
    ms,
    bars: summary.bars,
    failed: summary.failed.length,
    partitions: summary.partitions_written,
    peakRssBytes: peakRssBytes(),
  }),
);
