/**
 * Whether a reply's adjusted prices still agree with the lake's older bars. A provider adjusts
 * every bar before a split or dividend anew once it happens, so a reply fetched after one, covering
 * only recent days, gives those days an adj_close on a new basis while the lake's earlier bars keep
 * the old one: an adjusted series (returns, indicators) would jump where the reply begins. Seen on
 * a day both hold, the change tells the ingest to fetch the symbol again from its first bar.
 * @module
 */
import type { LakeBasis } from "../../lake/daily_reader.ts";
import { type Batch, num } from "../../lake/schemas/columns.ts";

/**
 * The day to fetch the symbol again from, when the lake holds bars before `batch` (a reply's bars,
 * in date order) and the first day both hold is adjusted on another basis, or no day is held by
 * both; else undefined.
 */
export function restateFrom(lake: LakeBasis | undefined, batch: Batch): { from: number; reason: string } | undefined {
  if (!lake || batch.length === 0) return undefined;
  const date = num(batch, "date"), close = num(batch, "close"), adj = num(batch, "adj_close");
  if (lake.firstDay >= date[0]) return undefined;
  for (let i = 0; i < batch.length; i++) {
    const held = lake.bars.get(date[i]);
    if (!held) continue;
    const before = held.adj / held.close, now = adj[i] / close[i];
    // Prices keep four decimals, so a ratio of two can move by about 1e-4 / price without a new
    // basis; and providers' bases differ a little (0.45 bp between Yahoo's and Alpha Vantage's real
    // AAPL series of 2020), less than the 1 bp even a small dividend moves it by.
    const rounding = (2e-4 * (1 + before)) / Math.min(held.close, close[i]);
    if (Math.abs(now - before) <= Math.max(rounding, 1e-4 * before)) return undefined;
    return {
      from: lake.firstDay,
      reason: "adj_close / close moved on a day the lake holds: a split or dividend since",
    };
  }
  // No day to compare (the lake has a gap where the reply begins): the basis cannot be told, so
  // the symbol is fetched whole, which also fills the gap.
  return { from: lake.firstDay, reason: "the lake has no bar where the reply begins, so its basis cannot be compared" };
}
