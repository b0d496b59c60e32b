/**
 * Simulated minute bars for the replay server's intraday endpoints (Alpaca 1Min, Yahoo 1m): each
 * regular session is drawn inside that day's bar of the served daily series, with thin pre-market
 * (04:00-09:30 New York) and post-market (16:00-20:00) trading around it, deterministically, so
 * both providers answer the same minutes.
 * @module
 */
import { newYorkMidnightMs, regularSessionMinutes } from "../../lake/calendar.ts";
import { isoSeconds, roundPrice } from "../../lake/schemas/columns.ts";
import { profile, unit } from "./market_sim.ts";
import { seriesFor } from "./series.ts";

const DAY_MS = 86_400_000;

export interface SimulatedMinute {
  t: string;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
  n: number;
  vw: number;
}

/** Epoch milliseconds of 09:30 New York on an epoch day. */
export function sessionOpenMs(day: number): number {
  return newYorkMidnightMs(day) + 570 * 60_000;
}

/**
 * One day's minute bars, deterministic per (symbol hash, day): a path from the day's open to its
 * close that reaches its high and its low and never leaves them; volume in a U shape.
 */
export function simulateMinutes(
  hash: number,
  day: number,
  bar: { open: number; high: number; low: number; close: number; volume: number },
): SimulatedMinute[] {
  const { open, high, low, close } = bar;
  // 09:30 to 16:00 New York, or to an early close.
  const minutes = regularSessionMinutes(day);
  const at = (k: number) => 1 + Math.floor(unit(hash, day, 100 + k) * (minutes - 2));
  const atHigh = at(1), drawn = at(2);
  const atLow = drawn !== atHigh ? drawn : atHigh === 1 ? 2 : atHigh - 1;
  // Anchors in time order: the open, the high and the low (either first), the close.
  const anchors = [[0, open], [atHigh, high], [atLow, low], [minutes - 1, close]]
    .sort((a, b) => a[0] - b[0]);
  const range = high - low;
  const closes = new Float64Array(minutes);
  // Between anchors, a random walk pinned at both ends (a Brownian bridge), reflected into the range.
  const walk = new Float64Array(minutes);
  for (let m = 1; m < minutes; m++) walk[m] = walk[m - 1] + (unit(hash, day, 1000 + m) - 0.5);
  const step = range * 0.04;
  for (let k = 0; k + 1 < anchors.length; k++) {
    const [m0, p0] = anchors[k], [m1, p1] = anchors[k + 1];
    for (let m = m0; m <= m1; m++) {
      const along = m1 === m0 ? 1 : (m - m0) / (m1 - m0);
      const bridge = walk[m] - walk[m0] - along * (walk[m1] - walk[m0]);
      closes[m] = roundPrice(inside(p0 + (p1 - p0) * along + bridge * step, low, high));
    }
  }
  const out: SimulatedMinute[] = [];
  const weights = Array.from({ length: minutes }, (_, m) => {
    const x = (m - minutes / 2) / (minutes / 2);
    return (1 + 2 * x * x) * (0.5 + unit(hash, day, 5000 + m));
  });
  const total = weights.reduce((a, b) => a + b, 0);
  const start = sessionOpenMs(day);
  for (let m = 0; m < minutes; m++) {
    // The path starts at the open, so the first minute opens and closes there.
    const o = m === 0 ? open : closes[m - 1], c = closes[m];
    const spread = range * 0.02 * unit(hash, day, 9000 + m);
    const h = roundPrice(Math.min(high, Math.max(o, c) + spread)),
      l = roundPrice(Math.max(low, Math.min(o, c) - spread));
    const v = Math.round((bar.volume * weights[m]) / total);
    out.push({
      t: isoSeconds(start + m * 60_000),
      o,
      h,
      l,
      c,
      v,
      n: Math.max(1, Math.round(v / 120)),
      vw: roundPrice((o + h + l + c) / 4),
    });
  }
  return out;
}

/** Minutes of the pre-market (04:00-09:30 New York) and the post-market (from the close, 16:00-20:00 mostly). */
export const PRE_MINUTES = 330, POST_MINUTES = 240;
/** Extended hours trade thinly: the share of their minutes that have a bar at all. */
const ACTIVE_SHARE = 0.25;

/**
 * One day's pre-market bars, drifting from the previous close to the open, and its post-market
 * bars, wandering from the close; sparse, small and allowed outside the day's (regular) range.
 */
export function simulateExtendedMinutes(
  hash: number,
  day: number,
  bar: { open: number; close: number; volume: number },
  previousClose: number,
): { pre: SimulatedMinute[]; post: SimulatedMinute[] } {
  const open = sessionOpenMs(day);
  const session = (first: number, minutes: number, from: number, to: number | undefined, salt: number) => {
    const out: SimulatedMinute[] = [];
    const step = from * 0.0004;
    let walk = 0, last = from;
    for (let m = 0; m < minutes; m++) {
      walk += (unit(hash, day, salt + m) - 0.5) * step;
      // Drifting to `to` (the open) by the end when there is one; else wandering from `from`.
      const price = roundPrice(to === undefined ? from + walk : from + (to - from) * ((m + 1) / minutes) + walk * 0.5);
      if (unit(hash, day, salt + 5000 + m) >= ACTIVE_SHARE) continue;
      const o = last, c = price > 0 ? price : last;
      const spread = from * 0.0003 * unit(hash, day, salt + 9000 + m);
      const v = Math.max(1, Math.round(bar.volume * 0.0002 * (0.2 + unit(hash, day, salt + 7000 + m))));
      const h = roundPrice(Math.max(o, c) + spread), l = roundPrice(Math.max(0.0001, Math.min(o, c) - spread));
      out.push({
        t: isoSeconds(first + m * 60_000),
        o,
        h,
        l,
        c,
        v,
        n: Math.max(1, Math.round(v / 100)),
        vw: roundPrice((o + h + l + c) / 4),
      });
      last = c;
    }
    return out;
  };
  return {
    pre: session(open - PRE_MINUTES * 60_000, PRE_MINUTES, previousClose, bar.open, 20_000),
    post: session(open + regularSessionMinutes(day) * 60_000, POST_MINUTES, bar.close, undefined, 40_000),
  };
}

/**
 * The simulated minutes of `symbol` starting in `[from, to]` (epoch ms) that have ended by `now`,
 * in time order; with `extended`, the pre- and post-market minutes too.
 */
export function* simulatedMinutes(
  symbol: string,
  { seed, now, from, to, extended = false }: {
    seed: number;
    now: number;
    from: number;
    to: number;
    extended?: boolean;
  },
): Generator<SimulatedMinute & { ms: number }> {
  const s = seriesFor(symbol, seed, Math.floor(now / DAY_MS));
  const { hash } = profile(seed, symbol);
  // A day's post-market runs past midnight UTC, so the day before `from` may have minutes in range.
  for (let i = Math.max(0, lowerBound(s.days, Math.floor(from / DAY_MS)) - 1); i < s.days.length; i++) {
    const day = s.days[i];
    if (sessionOpenMs(day) - PRE_MINUTES * 60_000 > Math.min(to, now)) return;
    const bar = { open: s.open[i], high: s.high[i], low: s.low[i], close: s.close[i], volume: s.volume[i] };
    const regular = simulateMinutes(hash, day, bar);
    const { pre, post } = extended
      ? simulateExtendedMinutes(hash, day, bar, i > 0 ? s.close[i - 1] / splitOn(s, day) : bar.open)
      : { pre: [], post: [] };
    for (const m of [...pre, ...regular, ...post]) {
      const ms = Date.parse(m.t);
      if (ms >= from && ms <= to && ms + 60_000 <= now) yield { ...m, ms };
    }
  }
}

/** `x` reflected back into `[low, high]` at either edge (clamping would leave flat runs there). */
function inside(x: number, low: number, high: number): number {
  const reflected = x > high ? 2 * high - x : x < low ? 2 * low - x : x;
  return Math.min(high, Math.max(low, reflected));
}

/** The ratio of a split taking effect on `day` (1 when none): the day before traded at the old price. */
function splitOn(s: { splits: { day: number; ratio: number }[] }, day: number): number {
  return s.splits.find((sp) => sp.day === day)?.ratio ?? 1;
}

function lowerBound(days: Int32Array, day: number): number {
  let lo = 0, hi = days.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (days[mid] < day) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
