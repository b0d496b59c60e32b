/// <reference lib="dom" />
/**
 * Indicator overlays computed in the page from the bars DuckDB-WASM returned (technicalindicators),
 * aligned to the bars: the first values of each series are undefined until its window fills.
 * @module
 */
import { BollingerBands, MACD, RSI, SMA } from "technicalindicators";

export interface IndicatorRow {
  sma20?: number;
  sma50?: number;
  bbUpper?: number;
  bbLower?: number;
  rsi?: number;
  macd?: number;
  signal?: number;
  histogram?: number;
}

/** Right-align a shorter output series with the input. */
function align<T>(n: number, values: T[]): (T | undefined)[] {
  return [...new Array(n - values.length).fill(undefined), ...values];
}

export function indicators(closes: number[]): IndicatorRow[] {
  const n = closes.length;
  const sma20 = align(n, SMA.calculate({ period: 20, values: closes }));
  const sma50 = align(n, SMA.calculate({ period: 50, values: closes }));
  const bb = align(n, BollingerBands.calculate({ period: 20, stdDev: 2, values: closes }));
  const rsi = align(n, RSI.calculate({ period: 14, values: closes }));
  const macd = align(
    n,
    MACD.calculate({
      values: closes,
      fastPeriod: 12,
      slowPeriod: 26,
      signalPeriod: 9,
      SimpleMAOscillator: false,
      SimpleMASignal: false,
    }),
  );
  return closes.map((_, i) => ({
    sma20: sma20[i],
    sma50: sma50[i],
    bbUpper: bb[i]?.upper,
    bbLower: bb[i]?.lower,
    rsi: rsi[i],
    macd: macd[i]?.MACD,
    signal: macd[i]?.signal,
    histogram: macd[i]?.histogram,
  }));
}
