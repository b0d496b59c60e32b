/**
 * Pure transforms from staged daily bars to curated partitions: validate, split by year, and
 * merge with what a partition already holds. Merging is keyed by (symbol, date): a rerun over the
 * same values keeps the existing row untouched, a revised bar replaces it (newest wins).
 * @module
 */
import { type Batch, concatBatches, daysToIso, sliceBatch, takeRows } from "../../lake/schemas/columns.ts";
import { DAILY_BARS } from "../../lake/schemas/daily_bars.ts";
import { mergeByKey, type MergeKey, type MergeResult, mergeSortedStream, type SymbolRows } from "./merge_bars.ts";

/** Columns whose values define a bar; lineage columns are left out of the comparison. */
const VALUE_COLUMNS = ["open", "high", "low", "close", "adj_close", "volume", "dividend", "split_ratio"] as const;

/** Why a row was refused, for the run record. */
export interface Rejection {
  symbol: string;
  date: string;
  reason: string;
}

/**
 * Check every row against the rules of `DailyBarSchema` (lake/schemas/daily_bars.ts), columnar so
 * that millions of rows cost milliseconds. Returns the indices of good rows and the rejections.
 */
export function checkDailyBars(b: Batch): { good: Uint32Array; rejected: Rejection[] } {
  const c = b.columns as Record<string, Float64Array> & Record<"symbol" | "source" | "raw_ref", (string | null)[]>;
  const good = new Uint32Array(b.length);
  const rejected: Rejection[] = [];
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    const o = c.open[i], h = c.high[i], l = c.low[i], cl = c.close[i], adj = c.adj_close[i];
    let reason = "";
    if (!(o > 0 && h > 0 && l > 0 && cl > 0 && adj > 0)) reason = "non-positive or missing price";
    else if (l > Math.min(o, cl) || h < Math.max(o, cl)) reason = "low <= open, close <= high must hold";
    else if (!(c.volume[i] >= 0) || !Number.isInteger(c.volume[i])) reason = "volume must be a non-negative integer";
    else if (!(c.dividend[i] >= 0)) reason = "dividend must be non-negative";
    else if (!(c.split_ratio[i] > 0)) reason = "split_ratio must be positive";
    else if (!(c.date[i] === Math.trunc(c.date[i]))) reason = "date missing";
    else if (!c.symbol[i] || !c.source[i] || !c.raw_ref[i]) reason = "symbol, source and raw_ref are required";
    if (reason) rejected.push({ symbol: String(c.symbol[i]), date: daysToIso(c.date[i] || 0), reason });
    else good[n++] = i;
  }
  return { good: good.subarray(0, n), rejected };
}

/**
 * Parsed bars -> staged bars: the lineage columns added (every row points at its raw reply), then
 * the rows that break a rule left out and reported.
 */
export function stageBars(b: Batch, ingestedAt: number, rawRef: string): { batch: Batch; rejected: Rejection[] } {
  const lineaged: Batch = {
    length: b.length,
    columns: {
      ...b.columns,
      ingested_at: new Float64Array(b.length).fill(ingestedAt),
      raw_ref: new Array(b.length).fill(rawRef),
    },
  };
  const { good, rejected } = checkDailyBars(lineaged);
  return { batch: rejected.length ? takeRows(lineaged, good) : lineaged, rejected };
}

const yearOf = (d: number) => new Date(d * 86_400_000).getUTCFullYear();

/** Ascending dates as runs of one calendar year: `[year, start, end)`; undefined if not ascending. */
export function yearRuns(dates: Float64Array): [number, number, number][] | undefined {
  for (let i = 1; i < dates.length; i++) if (!(dates[i - 1] <= dates[i])) return undefined;
  const runs: [number, number, number][] = [];
  for (let start = 0; start < dates.length;) {
    const y = yearOf(dates[start]);
    const next = Date.UTC(y + 1, 0, 1) / 86_400_000;
    let end = start;
    while (end < dates.length && dates[end] < next) end++;
    runs.push([y, start, end]);
    start = end;
  }
  return runs;
}

/**
 * `b`'s rows grouped by calendar year of a date column (`date` by default), in year order. A batch
 * whose dates ascend (one symbol's fetch) splits into contiguous slices (views: copy before
 * mutating); any other order falls back to a gather.
 */
export function splitByYear(b: Batch, column = "date"): Map<number, Batch> {
  const dates = b.columns[column] as Float64Array;
  const out = new Map<number, Batch>();
  const runs = yearRuns(dates);
  if (runs) {
    for (const [y, start, end] of runs) out.set(y, sliceBatch(b, start, end));
    return out;
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < b.length; i++) {
    const y = yearOf(dates[i]);
    (groups.get(y) ?? groups.set(y, []).get(y)!).push(i);
  }
  for (const [y, idx] of [...groups].sort((a, c) => a[0] - c[0])) out.set(y, takeRows(b, idx));
  return out;
}

/**
 * Staged batches regrouped into one batch per year, in year order, each sorted by symbol with a
 * symbol's batches in staging order (so that of two replies the later one wins the merge).
 * Years are built one at a time, so memory holds one partition's copy; `staged` is emptied as it
 * is split, so each batch can be collected once split.
 */
export function* incomingByYear(staged: (Batch | undefined)[]): Generator<[number, Batch]> {
  const byYear = new Map<number, Batch[]>();
  for (let i = 0; i < staged.length; i++) {
    for (const [year, part] of splitByYear(staged[i]!)) {
      (byYear.get(year) ?? byYear.set(year, []).get(year)!).push(part);
    }
    staged[i] = undefined;
  }
  staged.length = 0;
  const bySymbol = (a: Batch, b: Batch) => {
    const x = String(a.columns.symbol[0]), y = String(b.columns.symbol[0]);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  for (const year of [...byYear.keys()].sort((a, b) => a - b)) {
    // A stable sort: a symbol's parts keep their staging order.
    const parts = byYear.get(year)!.sort(bySymbol);
    byYear.delete(year);
    yield [year, concatBatches(DAILY_BARS, parts)];
  }
}

const DAILY_KEY: MergeKey = { spec: DAILY_BARS, time: "date", step: 1, values: VALUE_COLUMNS, fetched: "ingested_at" };

/**
 * Merge `incoming` bars into `existing` (one partition). Within `incoming`, later rows are newer.
 * The result is sorted by symbol, then date, with one row per key.
 *
 * @example A rerun with identical values changes nothing
 * ```ts
 * import { mergeDailyBars } from "./curate_daily_bars.ts";
 * import { emptyBatch } from "../../lake/schemas/columns.ts";
 * import { DAILY_BARS } from "../../lake/schemas/daily_bars.ts";
 * const empty = emptyBatch(DAILY_BARS);
 * const once = mergeDailyBars(empty, empty);
 * if (once.inserted !== 0 || once.batch.length !== 0) throw new Error();
 * ```
 */
export function mergeDailyBars(existing: Batch, incoming: Batch): MergeResult {
  return mergeByKey(DAILY_KEY, existing, incoming);
}

/** {@linkcode mergeDailyBars} for a whole year partition, streamed: see `mergeSortedStream`. */
export function mergeDailyStream(
  existing: AsyncIterable<Batch>,
  incoming: AsyncIterable<SymbolRows>,
  emit: (b: Batch, changed: boolean) => Promise<void>,
) {
  return mergeSortedStream(DAILY_KEY, existing, incoming, emit);
}
