/**
 * The curated `indicators_daily` table: per symbol and day, indicators and features computed on
 * split- and dividend-adjusted prices over each symbol's whole history (null while a window fills).
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
  /** Total return since the previous bar, from adj_close. */
  indicator("return_1d"),
  /** Annualized sample volatility of the last 20 daily log returns. */
  indicator("volatility_20d"),
  /** Wilder's average true range over 14 bars, in adjusted dollars. */
  indicator("atr_14"),
  /** Mean of close x volume (as traded) over 20 bars: dollars traded a day. */
  indicator("dollar_volume_20d"),
];
