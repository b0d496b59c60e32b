/**
 * A deterministic simulated market for the offline replay server. Every number is a pure
 * function of (seed, symbol, day), so overlapping requests and reruns always agree. Prices are
 * as traded, in cents; splits happen when a price runs above $400; about half the symbols pay
 * quarterly dividends.
 * @module
 */
import { isTradingDay } from "../../lake/calendar.ts";

/** The simulated history starts here (epoch day of 2000-01-03). */
export const SIM_START_DAY = 10_959;

export interface Series {
  days: Int32Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  dividends: { day: number; amount: number }[];
  splits: { day: number; ratio: number }[];
}

/** A series over `days` with zeroed bars and no events, ready to fill. */
export function emptySeries(days: number[]): Series {
  const n = days.length;
  const col = () => new Float64Array(n);
  return {
    days: Int32Array.from(days),
    open: col(),
    high: col(),
    low: col(),
    close: col(),
    volume: col(),
    dividends: [],
    splits: [],
  };
}

/** FNV-1a over the symbol's characters. */
function hashSymbol(symbol: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < symbol.length; i++) h = Math.imul(h ^ symbol.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A uniform number in [0, 1) from integers: a small avalanche mix (splitmix-style). */
export function unit(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35) ^
    Math.imul(c + 0x165667b1, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

/** A standard normal draw from two uniforms (Box-Muller). */
function normal(a: number, b: number, c: number): number {
  const u = Math.max(unit(a, b, c), 1e-12), v = unit(a, b, c + 7919);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

const cents = (x: number) => Math.max(0.01, Math.round(x * 100) / 100);

/** Per-symbol character: volatility, drift, volume level, dividend policy. */
export function profile(seed: number, symbol: string) {
  const h = hashSymbol(symbol) ^ seed;
  return {
    startPrice: 10 + 190 * unit(h, 1, 0),
    dailyVol: 0.01 + 0.015 * unit(h, 2, 0),
    drift: 0.0002 + 0.0004 * unit(h, 3, 0),
    volumeLevel: Math.exp(13 + 4 * unit(h, 4, 0)),
    paysDividends: unit(h, 5, 0) < 0.5,
    dividendYieldQuarter: 0.002 + 0.006 * unit(h, 6, 0),
    hash: h,
  };
}

/** Key of the market-wide factor every symbol shares, so that returns correlate as real ones do. */
const MARKET = 0x6d6b7400;

/** The simulated day's log-return and bar shape draws for a symbol (independent of history). */
export function dayDraws(hash: number, day: number) {
  return {
    // Unit variance: 0.55 of the market factor and sqrt(1 - 0.55^2) of the symbol's own noise.
    ret: 0.55 * normal(MARKET, day, 11) + 0.835 * normal(hash, day, 11),
    gap: normal(hash, day, 13),
    up: unit(hash, day, 17),
    down: unit(hash, day, 19),
    vol: normal(hash, day, 23),
    split: unit(hash, day, 29),
  };
}

/**
 * The as-traded daily series of a fully simulated symbol from 2000-01-03 to `toDay`.
 *
 * @example The same day is the same bar whatever the requested end
 * ```ts
 * import { simulateDailySeries } from "./market_sim.ts";
 * const a = simulateDailySeries("S0001", { seed: 1, toDay: 19000 });
 * const b = simulateDailySeries("S0001", { seed: 1, toDay: 19500 });
 * if (a.close[100] !== b.close[100]) throw new Error();
 * ```
 */
export function simulateDailySeries(symbol: string, { seed, toDay }: { seed: number; toDay: number }): Series {
  const p = profile(seed, symbol);
  const days: number[] = [];
  for (let d = SIM_START_DAY; d <= toDay; d++) if (isTradingDay(d)) days.push(d);
  const n = days.length;
  const s = emptySeries(days);
  let prev = cents(p.startPrice);
  for (let i = 0; i < n; i++) {
    const day = days[i];
    const r = dayDraws(p.hash, day);
    // A split happens at the open, before the day's trading: the reference price drops by the ratio.
    if (prev > 400 && r.split < 0.05) {
      const ratio = prev > 1200 ? 4 : prev > 700 ? 3 : 2;
      s.splits.push({ day, ratio });
      prev = cents(prev / ratio);
    }
    if (p.paysDividends && i > 0 && i % 63 === 0) {
      const amount = Math.round(prev * p.dividendYieldQuarter * 100) / 100;
      if (amount > 0) s.dividends.push({ day, amount });
    }
    fillBar(s, i, prev, r, p);
    prev = s.close[i];
  }
  return s;
}

/** One bar from the previous close and the day's draws. */
export function fillBar(
  s: Pick<Series, "open" | "high" | "low" | "close" | "volume">,
  i: number,
  prevClose: number,
  r: ReturnType<typeof dayDraws>,
  p: ReturnType<typeof profile>,
) {
  const close = cents(prevClose * Math.exp(p.drift + p.dailyVol * r.ret));
  const open = cents(prevClose * Math.exp(p.dailyVol * 0.3 * r.gap));
  s.open[i] = open;
  s.close[i] = close;
  s.high[i] = cents(Math.max(open, close) * (1 + p.dailyVol * 0.8 * r.up));
  s.low[i] = cents(Math.min(open, close) * (1 - p.dailyVol * 0.8 * r.down));
  s.volume[i] = Math.round(p.volumeLevel * Math.exp(0.35 * r.vol));
}
