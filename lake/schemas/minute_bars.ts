/**
 * The curated `minute_bars` table: one row per symbol and minute (`ts`, the bar's start in UTC),
 * prices as traded, the session from New York time, lineage in `raw_ref`. Partitioned by month.
 * @module
 */
import type { TableSpec } from "./columns.ts";
import { PRICE } from "./daily_bars.ts";

export const MINUTE_BARS: TableSpec = [
  { name: "symbol", type: "varchar" },
  { name: "ts", type: "timestamp" },
  { name: "session", type: "varchar" },
  { name: "open", type: PRICE },
  { name: "high", type: PRICE },
  { name: "low", type: PRICE },
  { name: "close", type: PRICE },
  { name: "volume", type: "bigint" },
  /** Trades in the minute and the volume-weighted price, where the provider gives them. */
  { name: "trades", type: "bigint" },
  { name: "vwap", type: PRICE },
  { name: "source", type: "varchar" },
  { name: "ingested_at", type: "timestamp" },
  { name: "raw_ref", type: "varchar", statistics: false },
];
