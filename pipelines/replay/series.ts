/**
 * The daily series the replay server serves for a symbol: the real recording where the repo has
 * one, else the simulated market. Every provider route draws from it, so providers agree.
 * @module
 */
import { type Series, simulateDailySeries } from "./market_sim.ts";
import { recordedSeries, recordedSymbols } from "./recorded.ts";

const seriesCache = new Map<string, Series & { realStart?: number; realEnd?: number }>();

export function seriesFor(symbol: string, seed: number, toDay: number) {
  const key = `${seed}:${symbol}:${toDay}`;
  let s = seriesCache.get(key);
  if (!s) {
    s = recordedSymbols().includes(symbol)
      ? recordedSeries(symbol, { seed, toDay })
      : simulateDailySeries(symbol, { seed, toDay });
    if (seriesCache.size > 2000) seriesCache.clear();
    seriesCache.set(key, s);
  }
  return s;
}
