/**
 * Query results turned into what callers take: Arrow tables, and plain JSON-friendly columns.
 * @module
 */
import * as arrow from "apache-arrow";
import type { Column } from "./schemas/columns.ts";
import { type PackedStrings, packStrings } from "./schemas/packed.ts";

export const PERIOD_COLUMNS =
  "symbol date open high low close adj_close volume dividend split_ratio source raw_ref days"
    .split(" ");
export const TEXT_COLUMNS = new Set(["symbol", "date", "source", "raw_ref"]);

/**
 * Columns as an Arrow table: numbers as Float64, strings as dictionaries (they repeat, and encoding
 * every row's string to UTF-8 instead was most of the daily call's time).
 */
export function arrowTable(columns: [string, Column][]): arrow.Table {
  return new arrow.Table(Object.fromEntries(columns.map(([name, col]) => [
    name,
    col instanceof Float64Array ? arrow.makeVector(col) : dictionaryVector(packStrings(col)),
  ])));
}

/** Packed strings as an Arrow dictionary vector (nulls, if any, kept). */
export function dictionaryVector({ dict, keys }: PackedStrings): arrow.Vector {
  let nullBitmap: Uint8Array | undefined;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] >= 0) continue;
    nullBitmap ??= new Uint8Array((keys.length + 7) >> 3).fill(255);
    nullBitmap[i >> 3] &= ~(1 << (i & 7));
    keys[i] = 0;
  }
  const type = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32());
  const dictionary = arrow.vectorFromArray(dict, new arrow.Utf8());
  return arrow.makeVector(arrow.makeData({ type, length: keys.length, nullBitmap, data: keys, dictionary }));
}

/**
 * One column of DuckDB's JS values (bigint, decimals as numbers, Date) as plain JSON-friendly
 * values: DATE as `YYYY-MM-DD`, TIMESTAMP as `YYYY-MM-DDTHH:MM:SS` (UTC). Values repeat down a
 * column, so each distinct one is formatted once.
 */
export function plainColumn(values: unknown[], isDate: boolean): unknown[] {
  const iso = new Map<number, string>();
  return values.map((v) => {
    if (typeof v === "bigint") return Number(v);
    if (!(v instanceof Date)) return v;
    let text = iso.get(v.getTime());
    if (text === undefined) iso.set(v.getTime(), text = v.toISOString().slice(0, isDate ? 10 : 19));
    return text;
  });
}
