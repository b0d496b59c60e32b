/**
 * Merging rows keyed by (symbol, time) into a curated partition: daily bars by date, minute bars
 * by timestamp.
 * @module
 */
import {
  type Batch,
  type Column,
  concatBatches,
  sliceBatch,
  type TableSpec,
  takeRows,
} from "../../lake/schemas/columns.ts";

export interface MergeResult {
  batch: Batch;
  inserted: number;
  updated: number;
  unchanged: number;
}

/** What identifies a row and what counts as a change. */
export interface MergeKey {
  spec: TableSpec;
  /** The time column of the key (days or epoch milliseconds); the other part is `symbol`. */
  time: string;
  /** The time column's unit between rows: 1 (day) or 60,000 (a minute in milliseconds). */
  step: number;
  /** Columns whose values define the row; lineage columns are left out of the comparison. */
  values: readonly string[];
  /**
   * When the row's reply was fetched (epoch ms): a row from an older reply never replaces one from
   * a newer reply, as when a run resumed days after its kill curates what it staged back then.
   */
  fetched?: string;
  /**
   * How complete a row's `source` is: an incoming row of a lower rank never replaces one of a
   * higher rank (minute bars from the IEX feed, a sliver of all trades, over consolidated ones).
   */
  rank?: (source: string | null) => number;
}

/**
 * How much older an incoming reply must be to lose. Lakes written before `ingested_at` was the
 * fetch time stamped the staging time, up to a few seconds later; a rebuild after a parser fix
 * must still replace those rows.
 */
const OLDER_BY_MS = 60_000;

/** A batch's columns that decide a merge: its value columns (in `key.values` order), fetch times and source ranks. */
interface KeyedColumns {
  values: Float64Array[];
  fetched?: Float64Array;
  ranks?: Float64Array;
}

function keyedColumns(key: MergeKey, b: Batch): KeyedColumns {
  return {
    values: key.values.map((k) => b.columns[k] as Float64Array),
    fetched: key.fetched ? b.columns[key.fetched] as Float64Array : undefined,
    ranks: key.rank ? Float64Array.from(b.columns.source as (string | null)[], key.rank) : undefined,
  };
}

/**
 * Whether existing row `i` stays against incoming row `j` of the same key: its values did not
 * change (NaN equals NaN), the incoming reply was fetched over a minute before it, or it comes
 * from a source of a lower rank.
 */
function keepsExisting(old: KeyedColumns, i: number, fresh: KeyedColumns, j: number): boolean {
  if (old.fetched && fresh.fetched![j] < old.fetched[i] - OLDER_BY_MS) return true;
  if (old.ranks && fresh.ranks![j] < old.ranks[i]) return true;
  for (let k = 0; k < old.values.length; k++) {
    const x = old.values[k][i], y = fresh.values[k][j];
    if (x !== y && !(x !== x && y !== y)) return false;
  }
  return true;
}

/** Both batches stacked, existing rows first, so a row's index says which side it came from. */
function stack(spec: TableSpec, existing: Batch, incoming: Batch): Batch {
  const columns: Record<string, Column> = {};
  for (const { name } of spec) {
    const a = existing.columns[name], b = incoming.columns[name];
    if (a instanceof Float64Array) {
      const out = new Float64Array(existing.length + incoming.length);
      out.set(a);
      out.set(b as Float64Array, existing.length);
      columns[name] = out;
    } else columns[name] = (a as (string | null)[]).concat(b as (string | null)[]);
  }
  return { length: existing.length + incoming.length, columns };
}

/**
 * Order rows by (symbol, time, original position). Packs symbol rank, time step and position into
 * one float so a native typed-array sort does the work: times as steps from the earliest (days,
 * or minutes within a month partition) fit in 16 bits. Falls back to a comparator when they won't.
 */
function sortedOrder(symbols: (string | null)[], times: Float64Array, step: number): Uint32Array {
  const n = symbols.length;
  const unique = [...new Set(symbols as string[])].sort();
  const rank = new Map(unique.map((s, i) => [s, i]));
  const order = new Uint32Array(n);
  const base = n ? times.reduce((a, b) => Math.min(a, b)) : 0;
  const steps = times.map((t) => (t - base) / step);
  const fits = unique.length < 2 ** 15 && n < 2 ** 22 && steps.every((d) => Number.isInteger(d) && d < 2 ** 16);
  if (fits) {
    const packed = new Float64Array(n);
    for (let i = 0; i < n; i++) packed[i] = ((rank.get(symbols[i] as string)! * 2 ** 16) + steps[i]) * 2 ** 22 + i;
    packed.sort();
    for (let i = 0; i < n; i++) order[i] = packed[i] % 2 ** 22;
    return order;
  }
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) =>
    (rank.get(symbols[a] as string)! - rank.get(symbols[b] as string)!) || (times[a] - times[b]) || (a - b)
  );
}

/** Whether rows are sorted by (symbol, time) with no repeated key. */
function strictlyOrdered(b: Batch, time: string): boolean {
  const symbols = b.columns.symbol as (string | null)[];
  const days = b.columns[time] as Float64Array;
  for (let i = 1; i < b.length; i++) {
    const a = symbols[i - 1]!, c = symbols[i]!;
    if (a > c || (a === c && days[i - 1] >= days[i])) return false;
  }
  return true;
}

/**
 * Merge `incoming` rows into `existing` (one partition) by (symbol, `key.time`). Within
 * `incoming`, later rows are newer. A key whose value columns did not change keeps its existing
 * row, lineage included, so a rerun rewrites nothing; a revised row replaces it (newest wins),
 * unless it comes from a reply fetched over a minute before the existing row's (`MergeKey.fetched`).
 * The result is sorted by symbol, then time, with one row per key.
 */
export function mergeByKey(key: MergeKey, existing: Batch, incoming: Batch): MergeResult {
  if (strictlyOrdered(existing, key.time) && strictlyOrdered(incoming, key.time)) {
    return mergeOrdered(key, existing, incoming);
  }
  const all = stack(key.spec, existing, incoming);
  const symbols = all.columns.symbol as (string | null)[];
  const days = all.columns[key.time] as Float64Array;
  const order = sortedOrder(symbols, days, key.step);
  const cols = keyedColumns(key, all);
  const keep: number[] = [];
  let inserted = 0, updated = 0, unchanged = 0;
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    const first = order[start];
    while (end < order.length && days[order[end]] === days[first] && symbols[order[end]] === symbols[first]) end++;
    const last = order[end - 1];
    const old = first < existing.length ? first : -1;
    if (old < 0) {
      keep.push(last);
      inserted++;
    } else if (last === old || keepsExisting(cols, old, cols, last)) {
      keep.push(old);
      if (last !== old) unchanged++;
    } else {
      keep.push(last);
      updated++;
    }
    start = end;
  }
  return { batch: takeRows(all, keep), inserted, updated, unchanged };
}

/**
 * {@linkcode mergeByKey} of two batches each in key order with no repeated key (a first load, a
 * rerun, a rebuild, a day's revision): one pass side by side, no sort. Where one side is the whole
 * result (a fresh partition, or nothing inserted or updated), that batch itself is returned.
 */
function mergeOrdered(key: MergeKey, existing: Batch, incoming: Batch): MergeResult {
  if (existing.length === 0) return { batch: incoming, inserted: incoming.length, updated: 0, unchanged: 0 };
  const [es, ed] = [existing.columns.symbol as (string | null)[], existing.columns[key.time] as Float64Array];
  const [is, id] = [incoming.columns.symbol as (string | null)[], incoming.columns[key.time] as Float64Array];
  const [old, fresh] = [keyedColumns(key, existing), keyedColumns(key, incoming)];
  // Each output row: an existing row's index, or -1 - the index of an incoming row.
  const picks = new Int32Array(existing.length + incoming.length);
  let n = 0, i = 0, j = 0, inserted = 0, updated = 0, unchanged = 0;
  while (i < existing.length || j < incoming.length) {
    const order = i === existing.length
      ? 1
      : j === incoming.length
      ? -1
      : es[i]! < is[j]!
      ? -1
      : es[i]! > is[j]!
      ? 1
      : ed[i] - id[j];
    if (order < 0) picks[n++] = i++;
    else if (order > 0) picks[n++] = -1 - j++, inserted++;
    else {
      if (keepsExisting(old, i, fresh, j)) picks[n++] = i, unchanged++;
      else picks[n++] = -1 - j, updated++;
      i++, j++;
    }
  }
  if (inserted + updated === 0) return { batch: existing, inserted, updated, unchanged };
  const columns: Record<string, Column> = {};
  for (const { name } of key.spec) {
    const a = existing.columns[name], b = incoming.columns[name];
    const out = a instanceof Float64Array ? new Float64Array(n) : new Array<string | null>(n);
    for (let k = 0; k < n; k++) out[k] = picks[k] >= 0 ? a[picks[k]] : b[-1 - picks[k]];
    columns[name] = out;
  }
  return { batch: { length: n, columns }, inserted, updated, unchanged };
}

/**
 * What a streaming merge did: the counts of {@linkcode MergeResult}, and the rows it emitted (the
 * whole partition when it changed anything).
 */
export type MergeCounts = Omit<MergeResult, "batch"> & { rows: number };

/** One symbol's incoming rows, for {@linkcode mergeSortedStream}. */
export interface SymbolRows {
  symbol: string;
  batch: Batch;
}

/** A batch sorted by symbol, as one {@linkcode SymbolRows} per symbol. */
export function* symbolRuns(batch: Batch): Generator<SymbolRows> {
  const symbols = batch.columns.symbol as string[];
  for (let start = 0, end = 0; start < batch.length; start = end) {
    while (end < batch.length && symbols[end] === symbols[start]) end++;
    yield { symbol: symbols[start], batch: sliceBatch(batch, start, end) };
  }
}

/**
 * Pulls rows from a partition read in pieces, sorted by symbol, and checks that order: the
 * streaming merges' reader, and the indicators job's (one cursor per year partition).
 */
export function sortedCursor(pieces: AsyncIterable<Batch>) {
  const it = pieces[Symbol.asyncIterator]();
  let piece: Batch | undefined, at = 0, done = false, previous = "";
  const current = async () => {
    while (!done && (!piece || at >= piece.length)) {
      const r = await it.next();
      if (r.done) done = true, piece = undefined;
      else piece = r.value, at = 0;
    }
    return piece;
  };
  return {
    /** The symbol of the next row, or undefined at the end. */
    async peek(): Promise<string | undefined> {
      return (await current())?.columns.symbol[at] as string | undefined;
    },
    /** Hand rows to `out` while `keep(symbol)` holds, a slice at a time. */
    async takeWhile(keep: (symbol: string) => boolean, out: (b: Batch) => unknown) {
      for (let p = await current(); p; p = await current()) {
        const symbols = p.columns.symbol as string[];
        let end = at;
        for (; end < p.length && keep(symbols[end]); end++) {
          if (symbols[end] < previous) throw new RangeError("Cannot read the partition: it is not sorted by symbol");
          previous = symbols[end];
        }
        if (end > at) await out(sliceBatch(p, at, end)), at = end;
        if (end < p.length) return;
      }
    },
    /** Stop reading: a reader left mid-partition lets go of its file. */
    close: async () => void await it.return?.(),
  };
}

/**
 * {@linkcode mergeByKey} over a whole partition without holding it: see {@linkcode mergeSymbolsStream}.
 */
export function mergeSortedStream(
  key: MergeKey,
  existing: AsyncIterable<Batch>,
  incoming: AsyncIterable<SymbolRows>,
  emit: (b: Batch, changed: boolean) => Promise<void>,
): Promise<MergeCounts> {
  return mergeSymbolsStream(key.spec, (own, rows) => mergeByKey(key, own, rows), existing, incoming, emit);
}

/**
 * A partition sorted by symbol merged with new rows one symbol at a time, without holding it.
 * `existing` yields the partition's rows in order, in pieces; `incoming` yields each symbol's new
 * rows, symbols ascending; `mergeSymbol` merges one symbol's existing and new rows. Rows go to
 * `emit` in the partition's order, and the rows of symbols with nothing incoming pass through
 * untouched, so memory holds one piece and one symbol's rows. With nothing incoming, `existing` is
 * not read at all, and when the last incoming symbol changed nothing, the rest of it is not read:
 * the partition stays as it is. `emit`'s `changed` says whether any row so far, this batch's
 * included, was inserted or updated: until then every row emitted is the partition's.
 */
export async function mergeSymbolsStream(
  spec: TableSpec,
  mergeSymbol: (own: Batch, rows: Batch) => MergeResult,
  existing: AsyncIterable<Batch>,
  incoming: AsyncIterable<SymbolRows>,
  emit: (b: Batch, changed: boolean) => Promise<void>,
): Promise<MergeCounts> {
  const cursor = sortedCursor(existing);
  const counts = { inserted: 0, updated: 0, unchanged: 0, rows: 0 };
  const pass = (b: Batch) => (counts.rows += b.length, emit(b, counts.inserted + counts.updated > 0));
  let last: string | undefined;
  try {
    for await (const { symbol, batch } of incoming) {
      if (last !== undefined && symbol <= last) {
        throw new RangeError(`Cannot merge: '${symbol}' arrived after '${last}'; symbols must ascend`);
      }
      last = symbol;
      await cursor.takeWhile((s) => s < symbol, pass);
      const own: Batch[] = [];
      await cursor.takeWhile((s) => s === symbol, (b) => own.push(b));
      const merged = mergeSymbol(concatBatches(spec, own), batch);
      counts.inserted += merged.inserted;
      counts.updated += merged.updated;
      counts.unchanged += merged.unchanged;
      if (merged.batch.length) await pass(merged.batch);
    }
    if (counts.inserted + counts.updated > 0) await cursor.takeWhile(() => true, pass);
  } finally {
    await cursor.close();
  }
  return counts;
}
