/**
 * Merging daily bars into the curated year partitions. An ingest curates its load from the staged
 * files ({@linkcode curateStaged}): one pass over them in symbol order feeds one streaming merge
 * per year partition, so memory holds one staged symbol and, per year, a piece of the partition
 * and its encoded output, however large the load. A rebuild merges rows it already holds
 * ({@linkcode curateDailyBars}).
 * @module
 */
import { layout } from "../../lake/layout.ts";
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import { type Batch, emptyBatch } from "../../lake/schemas/columns.ts";
import { DAILY_BARS } from "../../lake/schemas/daily_bars.ts";
import type { ObjectStore } from "../../lake/store.ts";
import { incomingByYear, mergeDailyBars, mergeDailyStream, splitByYear } from "../stages/curate_daily_bars.ts";
import type { SymbolRows } from "../stages/merge_bars.ts";
import { type Channel, channel } from "./channel.ts";
import { mergeIntoPartition } from "./merge_partition.ts";

export interface CurateSummary {
  bars: number;
  inserted: number;
  updated: number;
  unchanged: number;
  partitions_written: number;
}

/** The symbol a staged key holds (`.../<symbol>.parquet`). */
const symbolOf = (key: string) => key.slice(key.lastIndexOf("/") + 1, -".parquet".length);

/**
 * Merge the staged files `keys` (one symbol each, any order) into the curated year partitions.
 * Each partition is written with one atomic put once its merge is done. If a merge or the pass
 * fails, the merges still running stop without writing and the error is thrown; a rerun curates
 * the load again (merging is idempotent).
 */
export async function curateStaged(store: ObjectStore, engine: ParquetEngine, keys: string[]): Promise<CurateSummary> {
  const ordered = [...keys].sort((a, b) => (symbolOf(a) < symbolOf(b) ? -1 : symbolOf(a) > symbolOf(b) ? 1 : 0));
  const years = new Map<number, { feed: Channel<SymbolRows>; done: ReturnType<typeof mergeIntoPartition> }>();
  const yearFeed = (year: number) => {
    let y = years.get(year);
    if (!y) {
      const feed = channel<SymbolRows>();
      const done = mergeIntoPartition(
        { store, engine },
        layout.dailyBarsPartition(year),
        DAILY_BARS,
        mergeDailyStream,
        feed,
      );
      // A failed merge fails every feed: the pass stops at its next push, the other merges at
      // their next read.
      done.catch((e) => {
        for (const other of years.values()) other.feed.fail(e);
      });
      years.set(year, y = { feed, done });
    }
    return y.feed;
  };
  let bars = 0;
  try {
    for (const key of ordered) {
      const bytes = await store.get(key);
      if (!bytes) throw new Error(`Cannot curate: staged file ${key} is missing`);
      const batch: Batch = await engine.decode(bytes, DAILY_BARS);
      bars += batch.length;
      for (const [year, part] of splitByYear(batch)) await yearFeed(year).push({ symbol: symbolOf(key), batch: part });
    }
    for (const { feed } of years.values()) feed.close();
  } catch (e) {
    // Nothing is written from a pass that did not finish: the other merges end without their put.
    for (const { feed } of years.values()) feed.fail(e);
    await Promise.allSettled([...years.values()].map((y) => y.done));
    throw e;
  }
  const results = await Promise.all([...years.values()].map((y) => y.done));
  return {
    bars,
    inserted: results.reduce((n, r) => n + r.inserted, 0),
    updated: results.reduce((n, r) => n + r.updated, 0),
    unchanged: results.reduce((n, r) => n + r.unchanged, 0),
    partitions_written: results.filter((r) => r.written).length,
  };
}

/**
 * Merge staged batches into the curated year partitions (draining `staged`). Only partitions
 * whose content changes are rewritten, each with one atomic put.
 */
export async function curateDailyBars(
  store: ObjectStore,
  engine: ParquetEngine,
  staged: (Batch | undefined)[],
): Promise<{ inserted: number; updated: number; unchanged: number; partitions_written: number }> {
  const totals = { inserted: 0, updated: 0, unchanged: 0, partitions_written: 0 };
  // Up to two partitions are encoded and written at once: with a pooled engine the encodes run
  // on other cores while the next partition is merged here.
  const writing = new Set<Promise<void>>();
  let failure: unknown;
  for (const [year, incoming] of incomingByYear(staged)) {
    const key = layout.dailyBarsPartition(year);
    const bytes = await store.get(key);
    const existing = bytes ? await engine.decode(bytes, DAILY_BARS) : emptyBatch(DAILY_BARS);
    const merged = mergeDailyBars(existing, incoming);
    totals.inserted += merged.inserted;
    totals.updated += merged.updated;
    totals.unchanged += merged.unchanged;
    if (merged.inserted + merged.updated === 0) continue;
    const write: Promise<void> = engine.encode(merged.batch, DAILY_BARS)
      .then((b) => store.put(key, b))
      .then(() => void totals.partitions_written++, (e) => void (failure ??= e))
      .finally(() => writing.delete(write));
    writing.add(write);
    if (writing.size >= 2) await Promise.race(writing);
    if (failure) break;
  }
  await Promise.all(writing);
  if (failure) throw failure;
  return totals;
}
