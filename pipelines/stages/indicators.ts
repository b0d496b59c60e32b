/**
 * Pure indicator computation for one symbol's adjusted closes (technicalindicators), aligned to
 * the input days: a window that has not filled yet gives NaN (null in Parquet).
 * @module
 */
import { BollingerBands, MACD, RSI, SMA } from "technicalindicators";
import type { Batch } from "../../lake/schemas/columns.ts";

/** Right-align a shorter output series with the input; the head is NaN. */
function aligned(n: number, values: number[]): Float64Array {
  const out = new Float64Array(n).fill(NaN);
  out.set(values, n - values.length);
  return out;
}

/**
 * @example SMA(20) needs 20 closes
 * ```ts
 * import { computeIndicators } from "./indicators.ts";
 * const closes = Array.from({ length: 25 }, (_, i) => 100 + i);
 * const b = computeIndicators("X", Float64Array.from(closes, (_, i) => 19000 + i), Float64Array.from(closes));
 * const sma = b.columns.sma_20 as Float64Array;
 * if (!Number.isNaN(sma[18]) || sma[19] !== 109.5) throw new Error(String(sma[19]));
 * ```
 */
export function computeIndicators(symbol: string, days: Float64Array, adjClose: Float64Array): Batch {
  const n = days.length;
  const values = Array.from(adjClose);
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
      date: days,
      adj_close: adjClose,
      sma_20: aligned(n, SMA.calculate({ period: 20, values })),
      sma_50: aligned(n, SMA.calculate({ period: 50, values })),
      bb_upper: aligned(n, bb.map((b) => b.upper)),
      bb_lower: aligned(n, bb.map((b) => b.lower)),
      rsi_14: aligned(n, RSI.calculate({ period: 14, values })),
      macd: aligned(n, pick(macd.map((m) => m.MACD))),
      macd_signal: aligned(n, pick(macd.map((m) => m.signal))),
      macd_hist: aligned(n, pick(macd.map((m) => m.histogram))),
    },
  };
}
