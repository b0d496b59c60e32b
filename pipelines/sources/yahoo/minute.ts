/**
 * Yahoo chart reply (interval 1m..1h) -> intraday bars. With `includePrePost=true` the reply
 * also carries pre- and post-market bars (and `meta.tradingPeriods` becomes an object
 * {pre, regular, post}). Sessions are not taken from those periods: the ingest tags each minute
 * from the NYSE calendar, early closes included, whatever the provider.
 * @module
 */
import { yahooPrice } from "./price.ts";
import type { YahooChart } from "./wire.ts";

export interface MinuteBar {
  /** Epoch milliseconds of the bar's start. */
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Intraday bars within `[period1, period2)` (unix seconds); all-null bars are dropped. */
export function toMinuteBars(
  chart: YahooChart,
  { period1, period2 }: { period1: number; period2: number },
) {
  const r = chart.chart.result?.[0];
  const ts = r?.timestamp ?? [];
  const q = r?.indicators.quote[0] ?? {};
  const bars: MinuteBar[] = [];
  let dropped = 0;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i], o = q.open?.[i], h = q.high?.[i], l = q.low?.[i], c = q.close?.[i];
    if (t < period1 || t >= period2 || o == null || h == null || l == null || c == null) {
      dropped++;
      continue;
    }
    bars.push({
      ts: t * 1000,
      open: yahooPrice(o),
      high: yahooPrice(h),
      low: yahooPrice(l),
      close: yahooPrice(c),
      volume: q.volume?.[i] ?? 0,
    });
  }
  return { bars, dropped };
}
