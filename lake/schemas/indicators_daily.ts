/**
 * The curated `indicators_daily` table: per symbol and day, indicators computed on the
 * split- and dividend-adjusted close over each symbol's whole history (null while a window fills).
 * @module
 */
import type { TableSpec } from "./columns.ts";

const indicator = (name: string) => ({ name, type: "double", nullable: true }) as const;

export const INDICATORS_DAILY: TableSpec = [
  { name: "symbol", type: "varchar" },
  { name: "date", type: "date" },
  indicator("adj_close"),
  indicator("sma_20"),
  indicator("sma_50"),
  indicator("bb_upper"),
  indicator("bb_lower"),
  indicator("rsi_14"),
  indicator("macd"),
  indicator("macd_signal"),
  indicator("macd_hist"),
];
