/**
 * One curated partition merged as a stream: its rows are read a piece at a time, merged with the
 * incoming symbols, and streamed through an engine sink to a store writer that commits atomically,
 * only if the partition changed. Memory holds pieces, never the partition, read or written.
 * Both ingests merge this way (minute months, daily years).
 * @module
 */
import type { ParquetEngine } from "../../lake/parquet/engine.ts";
import type { Batch, TableSpec } from "../../lake/schemas/columns.ts";
import { heldWriter, type ObjectReader, type ObjectStore } from "../../lake/store.ts";
import type { MergeCounts, SymbolRows } from "../stages/merge_bars.ts";

/** A streaming merge bound to its table's key, as `mergeMinuteStream` and `mergeDailyStream` are. */
type StreamMerge = (
  existing: AsyncIterable<Batch>,
  incoming: AsyncIterable<SymbolRows>,
  emit: (b: Batch) => Promise<void>,
) => Promise<MergeCounts>;

/**
 * One S3 part; a daily partition of about 2,000 symbols. A rebuild runs a merge per year at once,
 * so this much times 17 may be held; larger partitions stream and, when unchanged, are aborted.
 */
const HOLD_BYTES = 8 * 2 ** 20;

/** Merge `incoming` (symbols ascending) into the partition at `key`; `written` says whether it was rewritten. */
export async function mergeIntoPartition(
  { store, engine }: { store: ObjectStore; engine: ParquetEngine },
  key: string,
  spec: TableSpec,
  merge: StreamMerge,
  incoming: AsyncIterable<SymbolRows>,
  { holdBytes = HOLD_BYTES } = {},
): Promise<MergeCounts & { written: boolean }> {
  // Opened only once the merge first asks: with nothing incoming, the partition is not read.
  let file: ObjectReader | undefined;
  const existing = (async function* () {
    file = await store.openRead(key);
    if (file) yield* engine.decodePieces(file, spec);
  })();
  // The output streams to the store, nothing visible unless committed. Up to `holdBytes` of it
  // wait in memory first, so that a merge that changes nothing in a partition that small writes
  // nothing.
  const out = heldWriter(() => store.openWrite(key), holdBytes);
  const sink = engine.sink(spec, out);
  try {
    const merged = await merge(existing, incoming, (b) => sink.append(b));
    const written = merged.inserted + merged.updated > 0;
    if (written) {
      await sink.finish();
      await out.commit();
    } else await Promise.all([sink.discard(), out.abort()]);
    return { ...merged, written };
  } catch (e) {
    await Promise.all([sink.discard(), out.abort()]);
    throw e;
  } finally {
    await file?.close();
  }
}
