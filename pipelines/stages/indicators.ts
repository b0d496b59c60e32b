/**
 * Pure indicator and feature computation for one symbol's history (technicalindicators), aligned
 * to the input days: a window that has not filled yet gives NaN (null in Parquet).
 * @module
 */
import { ATR, BollingerBands, MACD, RSI, SMA } from "technicalindicators";
import type { Batch } from "../../lake/schemas/columns.ts";

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

/** Right-align a shorter output series with the input; the head is NaN. */
function aligned(n: number, values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(n).fill(NaN);
  out.set(values, n - values.length);
  return out;
}

/**
 * Annualized volatility: the sample standard deviation of `period` daily log returns, times
 * sqrt(252). Written here because technicalindicators' SD is a population deviation, and on a
 * series around 0 (as log returns are) it drops windows and returns wrong values.
 */
function volatility(adj: Float64Array, period: number): Float64Array {
  const out = new Float64Array(adj.length).fill(NaN);
  const r = adj.map((a, i) => (i === 0 ? NaN : Math.log(a / adj[i - 1])));
  for (let end = period + 1; end <= adj.length; end++) {
    let mean = 0, squares = 0;
    for (let i = end - period; i < end; i++) mean += r[i] / period;
    for (let i = end - period; i < end; i++) squares += (r[i] - mean) ** 2;
    out[end - 1] = Math.sqrt((squares / (period - 1)) * TRADING_DAYS);
  }
  return out;
}

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
  const values = Array.from(h.adjClose);
  // Highs and lows on the adjusted scale, so that a split or dividend is no jump in true range.
  const factor = h.adjClose.map((a, i) => a / h.close[i]);
  const bb = BollingerBands.calculate({ period: 20, stdDev: 2, values });
  const macd = MACD.calculate({
    values,
    fastPeriod: 12,
    slowPeriod: 26,
    signalPeriod: 9,
    SimpleMAOscillator: false,
    SimpleMASignal: false,
  });
  const pick = (xs: (number | undefined)[]) => xs.map((x) => x ?? NaN);
  return {
    length: n,
    columns: {
      symbol: new Array(n).fill(symbol),
      date: h.days,
      adj_close: h.adjClose,
      sma_20: aligned(n, SMA.calculate({ period: 20, values })),
      sma_50: aligned(n, SMA.calculate({ period: 50, values })),
      bb_upper: aligned(n, bb.map((b) => b.upper)),
      bb_lower: aligned(n, bb.map((b) => b.lower)),
      rsi_14: aligned(n, RSI.calculate({ period: 14, values })),
      macd: aligned(n, pick(macd.map((m) => m.MACD))),
      macd_signal: aligned(n, pick(macd.map((m) => m.signal))),
      macd_hist: aligned(n, pick(macd.map((m) => m.histogram))),
      return_1d: aligned(n, h.adjClose.subarray(1).map((a, i) => a / h.adjClose[i] - 1)),
      volatility_20d: volatility(h.adjClose, 20),
      atr_14: aligned(
        n,
        ATR.calculate({
          period: 14,
          high: Array.from(h.high, (x, i) => x * factor[i]),
          low: Array.from(h.low, (x, i) => x * factor[i]),
          close: values,
        }),
      ),
      dollar_volume_20d: aligned(
        n,
        SMA.calculate({ period: 20, values: Array.from(h.close, (c, i) => c * h.volume[i]) }),
      ),
    },
  };
}
