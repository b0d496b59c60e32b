/**
 * Pure indicator and feature computation for one symbol's history, aligned to the input days: a
 * window that has not filled yet gives NaN (null in Parquet).
 * @module
 */
import type { Batch } from "../../lake/schemas/columns.ts";
import { atr, macd, rollingMax, rollingStd, rsi, sma } from "./series.ts";

/** One symbol's bars in date order: prices as traded, `adjClose` adjusted for splits and dividends. */
export interface SymbolHistory {
  days: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  adjClose: Float64Array;
  volume: Float64Array;
}

const TRADING_DAYS = 252;
/** Bars in a month, for momentum that leaves out the last one (short-term reversal). */
const MONTH = 21;

/**
 * @example SMA(20) needs 20 closes
 * ```ts
 * import { computeIndicators } from "./indicators.ts";
 * const closes = Float64Array.from({ length: 25 }, (_, i) => 100 + i);
 * const b = computeIndicators("X", {
 *   days: closes.map((_, i) => 19000 + i), high: closes.map((c) => c + 1), low: closes.map((c) => c - 1),
 *   close: closes, adjClose: closes, volume: closes.map(() => 1000),
 * });
 * const sma = b.columns.sma_20 as Float64Array;
 * if (!Number.isNaN(sma[18]) || sma[19] !== 109.5) throw new Error(String(sma[19]));
 * ```
 */
export function computeIndicators(symbol: string, h: SymbolHistory): Batch {
  const n = h.days.length;
  const adj = h.adjClose;
  const mid = sma(adj, 20), sd = rollingStd(adj, 20, 0);
  const m = macd(adj, 12, 26, 9);
  const logReturns = adj.map((a, i) => (i === 0 ? NaN : Math.log(a / adj[i - 1])));
  // Highs and lows on the adjusted scale, so that a split or dividend is no jump in true range.
  const factor = adj.map((a, i) => a / h.close[i]);
  return {
    length: n,
    columns: {
      symbol: new Array(n).fill(symbol),
      date: h.days,
      adj_close: adj,
      sma_20: mid,
      sma_50: sma(adj, 50),
      // Bollinger bands: two population standard deviations around SMA(20).
      bb_upper: mid.map((x, i) => x + 2 * sd[i]),
      bb_lower: mid.map((x, i) => x - 2 * sd[i]),
      rsi_14: rsi(adj, 14),
      macd: m.macd,
      macd_signal: m.signal,
      macd_hist: m.histogram,
      return_1d: adj.map((a, i) => (i === 0 ? NaN : a / adj[i - 1] - 1)),
      // Annualized: the sample standard deviation of 20 daily log returns, times sqrt(252).
      volatility_20d: rollingStd(logReturns, 20, 1).map((x) => x * Math.sqrt(TRADING_DAYS)),
      atr_14: atr(h.high.map((x, i) => x * factor[i]), h.low.map((x, i) => x * factor[i]), adj, 14),
      dollar_volume_20d: sma(h.close.map((c, i) => c * h.volume[i]), 20),
      momentum_12_1: adj.map((_, i) => (i < TRADING_DAYS ? NaN : adj[i - MONTH] / adj[i - TRADING_DAYS] - 1)),
      high_52w_ratio: rollingMax(adj, TRADING_DAYS).map((m, i) => adj[i] / m),
    },
  };
}
