/**
 * SEC company facts -> curated `fundamentals` rows (pure): staged with lineage, split by the year
 * they were filed, and merged per symbol by fact (`FACT_KEY`). A fact with the same values keeps
 * its existing row, a changed one is replaced, and none is dropped because a later snapshot lacks
 * it: the raw layer keeps every snapshot.
 * @module
 */
import { type Batch, concatBatches, emptyBatch, isoToDays, takeRows } from "../../lake/schemas/columns.ts";
import { FACT_KEY, FUNDAMENTALS } from "../../lake/schemas/fundamentals.ts";
import type { FactRow } from "../sources/sec/edgar.ts";
import { type MergeCounts, type MergeResult, mergeSymbolsStream, type SymbolRows } from "./merge_bars.ts";

/** The values that make two reports of one fact the same; lineage is left out. */
const FACT_VALUES = ["value", "fiscal_year", "fiscal_period", "form", "filed", "frame", "cik"] as const;

const cell = (b: Batch, name: string, i: number) => b.columns[name][i] as string | number | null;

function factKey(b: Batch, i: number): string {
  return FACT_KEY.map((k) => cell(b, k, i)).join("\u0000");
}

/** Facts in partition order: symbol, then `FACT_KEY` (a null period start first). */
function compareFacts(b: Batch, i: number, j: number): number {
  for (const k of ["symbol", ...FACT_KEY]) {
    const x = cell(b, k, i), y = cell(b, k, j);
    if (x === y || (x !== x && y !== y)) continue;
    if (x === null || x !== x) return -1;
    if (y === null || y !== y) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

function sortedFacts(b: Batch): Batch {
  return takeRows(b, Array.from({ length: b.length }, (_, i) => i).sort((i, j) => compareFacts(b, i, j)));
}

/**
 * One symbol's company facts as rows in partition order, with lineage; a fact reported twice in
 * the reply keeps its last report.
 *
 * @example Two reports of one fact keep one row
 * ```ts
 * import { stageFacts } from "./curate_fundamentals.ts";
 * const fact = { cik: "0000000001", taxonomy: "us-gaap", concept: "Assets", unit: "USD", start: null,
 *   end: "2024-12-31", val: 5, fy: 2024, fp: "FY", form: "10-K", filed: "2025-02-01", frame: null, accn: "a" };
 * const b = stageFacts([fact, { ...fact, val: 6 }], { symbol: "X", ingestedAt: 0, rawRef: "raw/x", source: "sec" });
 * if (b.length !== 1 || (b.columns.value as Float64Array)[0] !== 6) throw new Error();
 * ```
 */
export function stageFacts(
  rows: FactRow[],
  lineage: { symbol: string; ingestedAt: number; rawRef: string; source: string },
): Batch {
  const b = emptyBatch(FUNDAMENTALS, rows.length);
  const fill = (name: string, value: (r: FactRow) => string | number | null) => {
    const col = b.columns[name] as (string | number | null)[];
    rows.forEach((r, i) => col[i] = value(r));
  };
  const day = (iso: string | null) => iso === null ? NaN : isoToDays(iso);
  fill("symbol", () => lineage.symbol);
  fill("cik", (r) => r.cik);
  fill("taxonomy", (r) => r.taxonomy);
  fill("concept", (r) => r.concept);
  fill("unit", (r) => r.unit);
  fill("period_start", (r) => day(r.start));
  fill("period_end", (r) => day(r.end));
  fill("value", (r) => r.val);
  fill("fiscal_year", (r) => r.fy ?? NaN);
  fill("fiscal_period", (r) => r.fp);
  fill("form", (r) => r.form);
  fill("filed", (r) => day(r.filed));
  fill("frame", (r) => r.frame);
  fill("accession", (r) => r.accn);
  fill("source", () => lineage.source);
  fill("ingested_at", () => lineage.ingestedAt);
  fill("raw_ref", () => lineage.rawRef);
  const last = new Map<string, number>();
  for (let i = 0; i < b.length; i++) last.set(factKey(b, i), i);
  return sortedFacts(last.size === b.length ? b : takeRows(b, [...last.values()].sort((x, y) => x - y)));
}

function sameFact(a: Batch, i: number, b: Batch, j: number): boolean {
  return FACT_VALUES.every((k) => {
    const x = cell(a, k, i), y = cell(b, k, j);
    return x === y || (x !== x && y !== y);
  });
}

/** One symbol's facts in a partition merged with a newer snapshot's (both in partition order). */
export function mergeFacts(own: Batch, incoming: Batch): MergeResult {
  const stacked = concatBatches(FUNDAMENTALS, [own, incoming]);
  const pick = new Map<string, number>();
  for (let i = 0; i < own.length; i++) pick.set(factKey(own, i), i);
  let inserted = 0, updated = 0, unchanged = 0;
  for (let j = 0; j < incoming.length; j++) {
    const k = factKey(incoming, j), i = pick.get(k);
    if (i === undefined) inserted++;
    else if (sameFact(own, i, incoming, j)) {
      unchanged++;
      continue;
    } else updated++;
    pick.set(k, own.length + j);
  }
  const index = [...pick.values()].sort((x, y) => compareFacts(stacked, x, y));
  return { batch: takeRows(stacked, index), inserted, updated, unchanged };
}

/** {@linkcode mergeFacts} over a whole partition, streamed as the bars are merged. */
export function mergeFactsStream(
  existing: AsyncIterable<Batch>,
  incoming: AsyncIterable<SymbolRows>,
  emit: (b: Batch, changed: boolean) => Promise<void>,
): Promise<MergeCounts> {
  return mergeSymbolsStream(FUNDAMENTALS, mergeFacts, existing, incoming, emit);
}
