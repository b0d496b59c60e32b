/**
 * Recompute `indicators_daily` from the curated daily bars: each symbol over its whole history
 * (so windows are warm at every date), then one object per year, written atomically.
 * @module
 */
import { layout } from "../../lake/layout.ts";
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import { type Batch, concatBatches, num, str } from "../../lake/schemas/columns.ts";
import { DAILY_BARS } from "../../lake/schemas/daily_bars.ts";
import { INDICATORS_DAILY } from "../../lake/schemas/indicators_daily.ts";
import type { ObjectStore } from "../../lake/store.ts";
import { createProgress, type Logger, silentLogger } from "../log.ts";
import { splitByYear } from "../stages/curate_daily_bars.ts";
import { computeIndicators } from "../stages/indicators.ts";

export async function computeIndicatorTables(
  { store, engine, log = silentLogger }: { store: ObjectStore; engine: ParquetEngine; log?: Logger },
): Promise<{ symbols: number; rows: number; partitions: number }> {
  // Each symbol's closes across all years, in date order (partitions are year-ordered and sorted).
  const closes = new Map<string, { days: number[]; adj: number[] }>();
  for (const o of await store.list(layout.dailyBarsPrefix)) {
    if (!o.key.endsWith(".parquet")) continue;
    const b = await engine.decode((await store.get(o.key))!, DAILY_BARS);
    const symbols = str(b, "symbol"), days = num(b, "date"), adj = num(b, "adj_close");
    for (let i = 0; i < b.length; i++) {
      const s = closes.get(symbols[i]!) ?? closes.set(symbols[i]!, { days: [], adj: [] }).get(symbols[i]!)!;
      s.days.push(days[i]);
      s.adj.push(adj[i]);
    }
  }
  const progress = createProgress(log, "indicators.progress", closes.size);
  const perSymbol: Batch[] = [];
  for (const [symbol, s] of [...closes].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    perSymbol.push(computeIndicators(symbol, Float64Array.from(s.days), Float64Array.from(s.adj)));
    progress.tick(1, { symbol });
  }
  const byYear = new Map<number, Batch[]>();
  for (const b of perSymbol) {
    for (const [year, part] of splitByYear(b)) (byYear.get(year) ?? byYear.set(year, []).get(year)!).push(part);
  }
  let rows = 0;
  for (const [year, parts] of byYear) {
    const batch = concatBatches(INDICATORS_DAILY, parts);
    rows += batch.length;
    await store.put(layout.indicatorsPartition(year), await engine.encode(batch, INDICATORS_DAILY));
  }
  log.info("indicators.done", { symbols: closes.size, rows, partitions: byYear.size });
  return { symbols: closes.size, rows, partitions: byYear.size };
}
