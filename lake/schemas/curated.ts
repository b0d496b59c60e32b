/**
 * Every curated table's column list by table name, for code that handles them all alike: the
 * query API's views, the dashboard's catalog.
 * @module
 */
import type { CuratedTable } from "../layout.ts";
import type { TableSpec } from "./columns.ts";
import { DAILY_BARS } from "./daily_bars.ts";
import { FUNDAMENTALS } from "./fundamentals.ts";
import { INDICATORS_DAILY } from "./indicators_daily.ts";
import { MINUTE_BARS } from "./minute_bars.ts";

export const CURATED_SPECS: Record<CuratedTable, TableSpec> = {
  daily_bars: DAILY_BARS,
  indicators_daily: INDICATORS_DAILY,
  indicators_latest: INDICATORS_DAILY,
  minute_bars: MINUTE_BARS,
  fundamentals: FUNDAMENTALS,
};

/** A query with the spec's columns and types and no rows: the view of a table with no files yet. */
export function emptyTableSql(spec: TableSpec): string {
  return `SELECT ${spec.map((c) => `NULL::${c.type.toUpperCase()} AS ${c.name}`).join(", ")} WHERE false`;
}
