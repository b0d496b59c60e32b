/**
 * One merge of a revised day into a month partition of minute bars, in its own process so that
 * the parent reads this process's peak RSS (VmHWM) alone. `prepare` writes the month first.
 * Usage: deno run -A bench/minute_merge_child.ts <lake dir> prepare|stream|whole <symbols>
 *   stream: the ingest's way (partition read in row groups, merged symbol by symbol, streamed out
 *           to the store: mergeIntoPartition);
 *   whole:  the baseline (partition decoded whole, merged in one batch, encoded whole).
 * @module
 */
import { layout } from "../lake/layout.ts";
import { createWasmEngine } from "../lake/parquet/wasm_engine.ts";
import { type Batch, concatBatches, emptyBatch } from "../lake/schemas/columns.ts";
import { MINUTE_BARS } from "../lake/schemas/minute_bars.ts";
import { createLocalStore } from "../lake/store_local.ts";
import { simulatedSymbols } from "../pipelines/jobs/universe.ts";
import { simulatedMinutes } from "../pipelines/replay/minute_sim.ts";
import { mergeIntoPartition } from "../pipelines/jobs/merge_partition.ts";
import { mergeMinuteBars, mergeMinuteStream, stageMinuteBars } from "../pipelines/stages/curate_minute_bars.ts";
import { peakRssBytes } from "./peak_rss.ts";

const [root, mode, count] = Deno.args;
const store = createLocalStore(root);
const engine = createWasmEngine();
const key = layout.minuteBarsPartition("2024-10");
const NOW = Date.parse("2024-11-15T00:00:00Z");

/** One symbol's simulated minutes in `[from, to]`; another seed gives a revision of the same minutes' values. */
function minutes(symbol: string, from: string, to: string, seed: number): Batch {
  const bars = [
    ...simulatedMinutes(symbol, { seed, now: NOW, from: Date.parse(from), to: Date.parse(to), extended: true }),
  ]
    .map(({ ms: _, ...bar }) => bar);
  return stageMinuteBars(bars, { symbol, source: "simulated", ingestedAt: NOW, rawRef: `raw/bench/${symbol}` }).batch;
}

const symbols = simulatedSymbols(Number(count));
const started = performance.now();
let rows = 0;
if (mode === "prepare") {
  const out = store.openWrite(key);
  const sink = engine.sink(MINUTE_BARS, out);
  for (const s of symbols) {
    const b = minutes(s, "2024-10-01T00:00:00Z", "2024-10-31T23:59:00Z", 1);
    rows += b.length;
    await sink.append(b);
  }
  await sink.finish();
  await out.commit();
} else {
  // The revised day, 2024-10-15 New York, one symbol at a time as the ingest fetches it.
  const day = (s: string) => minutes(s, "2024-10-15T04:00:00Z", "2024-10-16T03:59:00Z", 2);
  if (mode === "stream") {
    const incoming = (async function* () {
      for (const symbol of symbols) yield { symbol, batch: day(symbol) };
    })();
    rows = (await mergeIntoPartition({ store, engine }, key, MINUTE_BARS, mergeMinuteStream, incoming)).rows;
  } else {
    const merged = mergeMinuteBars(
      await engine.decode((await store.get(key))!, MINUTE_BARS),
      concatBatches(MINUTE_BARS, [emptyBatch(MINUTE_BARS), ...symbols.map(day)]),
    );
    rows = merged.batch.length;
    await store.put(key, await engine.encode(merged.batch, MINUTE_BARS));
  }
}
console.log(JSON.stringify({ ms: performance.now() - started, rows, peakRssBytes: peakRssBytes() }));
