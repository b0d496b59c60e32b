/**
 * One curated partition merged as a stream: its rows are read a piece at a time, merged with the
 * incoming symbols, and written through an engine sink with one atomic put, only if it changed.
 * Both ingests merge this way (minute months, daily years).
 * @module
 */
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import type { Batch, TableSpec } from "../../lake/schemas/columns.ts";
import type { ObjectStore } from "../../lake/store.ts";
import type { MergeCounts, SymbolRows } from "../stages/merge_bars.ts";

/** A streaming merge bound to its table's key, as `mergeMinuteStream` and `mergeDailyStream` are. */
type StreamMerge = (
  existing: AsyncIterable<Batch>,
  incoming: AsyncIterable<SymbolRows>,
  emit: (b: Batch) => Promise<void>,
) => Promise<MergeCounts>;

/** Merge `incoming` (symbols ascending) into the partition at `key`; `written` says whether it was rewritten. */
export async function mergeIntoPartition(
  { store, engine }: { store: ObjectStore; engine: ParquetEngine },
  key: string,
  spec: TableSpec,
  merge: StreamMerge,
  incoming: AsyncIterable<SymbolRows>,
): Promise<MergeCounts & { written: boolean }> {
  // Read only once the merge first asks: with nothing incoming, the partition is not fetched.
  const existing = (async function* () {
    const bytes = await store.get(key);
    if (bytes) yield* engine.decodePieces(bytes, spec);
  })();
  const sink = engine.sink(spec);
  try {
    const merged = await merge(existing, incoming, (b) => sink.append(b));
    const written = merged.inserted + merged.updated > 0;
    if (written) await store.put(key, await sink.finish());
    else await sink.discard();
    return { ...merged, written };
  } catch (e) {
    await sink.discard();
    throw e;
  }
}
