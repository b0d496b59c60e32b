/**
 * The curated `indicators_daily` table: per symbol and day, indicators and features computed on
 * split- and dividend-adjusted prices over each symbol's whole history (null while a window fills).
 *
 * Values are stored as decimals, not doubles: delta-encoded, a smooth series takes 2 to 3 bytes a
 * value where a double's 17 noisy digits took 7.5 (the table was 92 bytes a row, six times its
 * bars). The scales keep far more digits than their inputs carry, whose prices have four decimals.
 * @module
 */
import type { ColumnType, TableSpec } from "./columns.ts";
import { PRICE } from "./daily_bars.ts";

/** Indicators in dollars (averages, bands, MACD, ATR): two digits past the prices' four. */
const PRICE_LIKE = "decimal(18,6)" as const;

const value = (name: string, type: ColumnType) => ({ name, type, nullable: true }) as const;

export const INDICATORS_DAILY: TableSpec = [
  { name: "symbol", type: "varchar" },
  { name: "date", type: "date" },
  value("adj_close", PRICE),
  value("sma_20", PRICE_LIKE),
  value("sma_50", PRICE_LIKE),
  value("bb_upper", PRICE_LIKE),
  value("bb_lower", PRICE_LIKE),
  /** 0 to 100. */
  value("rsi_14", "decimal(18,4)"),
  value("macd", PRICE_LIKE),
  value("macd_signal", PRICE_LIKE),
  value("macd_hist", PRICE_LIKE),
  /** Total return since the previous bar, from adj_close (a fraction: 0.01 is 1%). */
  value("return_1d", "decimal(18,8)"),
  /** Annualized sample volatility of the last 20 daily log returns (a fraction). */
  value("volatility_20d", "decimal(18,6)"),
  /** Wilder's average true range over 14 bars, in adjusted dollars. */
  value("atr_14", PRICE_LIKE),
  /** Mean of close x volume (as traded) over 20 bars: whole dollars traded a day. */
  value("dollar_volume_20d", "decimal(18,0)"),
  /** Total return from 252 bars back to 21 bars back: a year's momentum without its last month. */
  value("momentum_12_1", "decimal(18,6)"),
  /** adj_close over its highest of the last 252 bars (1 at a new 52-week high). */
  value("high_52w_ratio", "decimal(18,6)"),
];
