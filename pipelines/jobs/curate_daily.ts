/**
 * Merging daily bars into the curated year partitions. An ingest curates its load from the staged
 * files ({@linkcode curateStaged}): one pass over them in symbol order feeds one streaming merge
 * per year partition (`yearMerges`, which the rebuild feeds too), so memory holds one
 * staged symbol and, per year, a piece of the partition, however large the load.
 * {@linkcode curateDailyBars} merges rows held in memory: the tests' oracle and the bench's baseline.
 * @module
 */
import { layout } from "../../lake/layout.ts";
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import { type Batch, emptyBatch } from "../../lake/schemas/columns.ts";
import { DAILY_BARS } from "../../lake/schemas/daily_bars.ts";
import type { ObjectStore } from "../../lake/store.ts";
import { incomingByYear, mergeDailyBars, mergeDailyStream, splitByYear } from "../stages/curate_daily_bars.ts";
import { yearMerges, type YearTable } from "./merge_partition.ts";

export interface CurateSummary {
  bars: number;
  inserted: number;
  updated: number;
  unchanged: number;
  partitions_written: number;
  /** The years the load had rows in, ascending. */
  years: number[];
}

/** The symbol a staged key holds (`.../<symbol>.parquet`). */
const symbolOf = (key: string) => key.slice(key.lastIndexOf("/") + 1, -".parquet".length);

/** Merge counts summed over the year partitions. */
export type MergeSummary = Omit<CurateSummary, "bars" | "years">;

/** The daily bars' year partitions, for {@linkcode yearMerges}. */
export const DAILY_YEARS: YearTable = {
  partition: layout.dailyBarsPartition,
  spec: DAILY_BARS,
  merge: mergeDailyStream,
};

/**
 * Merge the staged files `keys` (one symbol each, any order) into the curated year partitions.
 * Each partition is committed atomically once its merge is done. If a merge or the pass fails,
 * the merges still running stop without writing and the error is thrown; a rerun curates the load
 * again (merging is idempotent).
 */
export async function curateStaged(store: ObjectStore, engine: ParquetEngine, keys: string[]): Promise<CurateSummary> {
  const ordered = [...keys].sort((a, b) => (symbolOf(a) < symbolOf(b) ? -1 : symbolOf(a) > symbolOf(b) ? 1 : 0));
  const merges = yearMerges(store, engine, DAILY_YEARS);
  let bars = 0;
  const years = new Set<number>();
  try {
    for (const key of ordered) {
      const bytes = await store.get(key);
      if (!bytes) throw new Error(`Cannot curate: staged file ${key} is missing`);
      const batch: Batch = await engine.decode(bytes, DAILY_BARS);
      bars += batch.length;
      for (const [year, part] of splitByYear(batch)) {
        years.add(year);
        await merges.push(year, { symbol: symbolOf(key), batch: part });
      }
    }
  } catch (e) {
    await merges.fail(e);
    throw e;
  }
  return { bars, ...await merges.close(), years: [...years].sort((a, b) => a - b) };
}

/**
 * Merge staged batches into the curated year partitions (draining `staged`). Only partitions
 * whose content changes are rewritten, each with one atomic put.
 */
export async function curateDailyBars(
  store: ObjectStore,
  engine: ParquetEngine,
  staged: (Batch | undefined)[],
): Promise<MergeSummary> {
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
