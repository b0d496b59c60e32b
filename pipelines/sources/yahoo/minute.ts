/**
 * Yahoo chart reply (interval 1m..1h) -> intraday bars. With `includePrePost=true` the reply
 * also carries pre- and post-market bars and `meta.tradingPeriods` becomes an object
 * {pre, regular, post}; each bar is tagged with its session from those periods.
 * @module
 */
import type { YahooChart } from "./wire.ts";

export interface MinuteBar {
  symbol: string;
  ts: number;
  session: "pre" | "regular" | "post";
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  source: string;
}

type Period = { start: number; end: number };

/** Session windows from either tradingPeriods shape. */
function sessions(meta: Record<string, unknown>): { pre: Period[]; regular: Period[]; post: Period[] } {
  const tp = meta.tradingPeriods as unknown;
  const flat = (
    x: unknown,
  ): Period[] => (Array.isArray(x) ? x.flat(2).filter((p) => typeof p?.start === "number") : []);
  if (tp && !Array.isArray(tp) && typeof tp === "object") {
    const o = tp as Record<string, unknown>;
    return { pre: flat(o.pre), regular: flat(o.regular), post: flat(o.post) };
  }
  return { pre: [], regular: flat(tp), post: [] };
}

const r4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** Intraday bars within `[period1, period2)` (unix seconds); all-null bars are dropped. */
export function toMinuteBars(
  chart: YahooChart,
  { symbol, period1, period2 }: { symbol: string; period1: number; period2: number },
) {
  const r = chart.chart.result?.[0];
  const ts = r?.timestamp ?? [];
  const q = r?.indicators.quote[0] ?? {};
  const s = r ? sessions(r.meta as Record<string, unknown>) : { pre: [], regular: [], post: [] };
  const within = (t: number, ps: Period[]) => ps.some((p) => t >= p.start && t < p.end);
  const bars: MinuteBar[] = [];
  let dropped = 0;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i], o = q.open?.[i], h = q.high?.[i], l = q.low?.[i], c = q.close?.[i];
    if (t < period1 || t >= period2 || o == null || h == null || l == null || c == null) {
      dropped++;
      continue;
    }
    const session = within(t, s.pre) ? "pre" : within(t, s.post) ? "post" : "regular";
    bars.push({
      symbol,
      ts: t * 1000,
      session,
      open: r4(o),
      high: r4(h),
      low: r4(l),
      close: r4(c),
      volume: q.volume?.[i] ?? 0,
      source: "yahoo",
    });
  }
  return { bars, dropped };
}
