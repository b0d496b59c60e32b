/**
 * One curated partition merged as a stream: its rows are read a piece at a time, merged with the
 * incoming symbols, and streamed through an engine sink to a store writer that commits atomically.
 * Memory holds pieces, never the partition, read or written. Both ingests merge this way (minute
 * months, daily years).
 * @module
 */
import type { EngineSink, ParquetEngine } from "../../lake/parquet/engine.ts";
import { type Batch, sliceBatch, type TableSpec } from "../../lake/schemas/columns.ts";
import type { ObjectReader, ObjectStore, ObjectWriter } from "../../lake/store.ts";
import type { MergeCounts, SymbolRows } from "../stages/merge_bars.ts";
import { type Channel, channel } from "./channel.ts";

/** A streaming merge bound to its table's key, as `mergeMinuteStream` and `mergeDailyStream` are. */
export type StreamMerge = (
  existing: AsyncIterable<Batch>,
  incoming: AsyncIterable<SymbolRows>,
  emit: (b: Batch, changed: boolean) => Promise<void>,
) => Promise<MergeCounts>;

/** The first `count` rows of a partition's pieces. */
async function* firstRows(pieces: AsyncIterable<Batch>, count: number): AsyncGenerator<Batch> {
  for await (const piece of pieces) {
    yield piece.length <= count ? piece : sliceBatch(piece, 0, count);
    count -= piece.length;
    // Stopping here spares decoding the next row group.
    if (count <= 0) return;
  }
}

/** Merge `incoming` (symbols ascending) into the partition at `key`; `written` says whether it was rewritten. */
export async function mergeIntoPartition(
  { store, engine }: { store: ObjectStore; engine: ParquetEngine },
  key: string,
  spec: TableSpec,
  merge: StreamMerge,
  incoming: AsyncIterable<SymbolRows>,
): Promise<MergeCounts & { written: boolean }> {
  // Opened only once the merge first asks: with nothing incoming, the partition is not read.
  let file: ObjectReader | undefined;
  const existing = (async function* () {
    file = await store.openRead(key);
    if (file) yield* engine.decodePieces(file, spec);
  })();
  // Rows that pass through before the first change are the partition's own first rows: they are
  // counted, not written, so a merge that changes nothing writes nothing, however large the
  // partition. At the first change they are read again from the version opened.
  let unwritten = 0;
  let out: { writer: ObjectWriter; sink: EngineSink } | undefined;
  const emit = async (b: Batch, changed: boolean) => {
    if (!changed) return void (unwritten += b.length);
    if (!out) {
      const writer = store.openWrite(key);
      out = { writer, sink: engine.sink(spec, writer) };
      if (unwritten) {
        for await (const piece of firstRows(engine.decodePieces(file!, spec), unwritten)) {
          await out.sink.append(piece);
        }
      }
    }
    await out.sink.append(b);
  };
  try {
    const merged = await merge(existing, incoming, emit);
    if (out) {
      await out.sink.finish();
      await out.writer.commit();
    }
    return { ...merged, written: out !== undefined };
  } catch (e) {
    if (out) await Promise.all([out.sink.discard(), out.writer.abort()]);
    throw e;
  } finally {
    await file?.close();
  }
}

/** A table partitioned by year: where a year's rows live, their columns, and how rows merge. */
export interface YearTable {
  partition(year: number): string;
  spec: TableSpec;
  merge: StreamMerge;
}

/** Merge counts summed over the partitions a run merged into. */
export interface MergesSummary {
  inserted: number;
  updated: number;
  unchanged: number;
  partitions_written: number;
}

/**
 * One streaming merge per year partition of `table`, each started when rows for its year first
 * arrive, so each partition is read and written once however many symbols a run brings. Symbols
 * must reach each year in ascending order. A failed merge fails every feed, so a pass stops at its
 * next push; `fail()` ends the merges still running without writing.
 */
export function yearMerges(store: ObjectStore, engine: ParquetEngine, table: YearTable) {
  const years = new Map<number, { feed: Channel<SymbolRows>; done: ReturnType<typeof mergeIntoPartition> }>();
  const feedOf = (year: number) => {
    let y = years.get(year);
    if (!y) {
      const feed = channel<SymbolRows>();
      const done = mergeIntoPartition({ store, engine }, table.partition(year), table.spec, table.merge, feed);
      done.catch((e) => {
        for (const other of years.values()) other.feed.fail(e);
      });
      years.set(year, y = { feed, done });
    }
    return y.feed;
  };
  return {
    /** Hand one symbol's rows of one year to that year's merge; resolves once it has taken them. */
    push: (year: number, rows: SymbolRows) => feedOf(year).push(rows),
    /** End every feed and wait for the merges; their partitions are committed. */
    async close(): Promise<MergesSummary> {
      for (const { feed } of years.values()) feed.close();
      const results = await Promise.all([...years.values()].map((y) => y.done));
      return {
        inserted: results.reduce((n, r) => n + r.inserted, 0),
        updated: results.reduce((n, r) => n + r.updated, 0),
        unchanged: results.reduce((n, r) => n + r.unchanged, 0),
        partitions_written: results.filter((r) => r.written).length,
      };
    },
    /** Stop every merge without writing, once they have all ended. */
    async fail(e: unknown): Promise<void> {
      for (const { feed } of years.values()) feed.fail(e);
      await Promise.allSettled([...years.values()].map((y) => y.done));
    },
  };
}
