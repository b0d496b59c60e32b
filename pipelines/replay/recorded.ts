/**
 * Real recorded Yahoo replies, turned back into as-traded series the replay server can join with
 * the simulated market. A recording is split-adjusted as of the day it was made; the split facts
 * below undo that, and the server re-adjusts as of each reply's end, as Yahoo does.
 * @module
 */
import { isTradingDay } from "../../lake/calendar.ts";
import { dayDraws, emptySeries, profile, type Series, SIM_START_DAY } from "./market_sim.ts";

/** Real splits of the recorded symbols (effective dates), including ones after the recordings. */
const SPLIT_FACTS: Record<string, { iso: string; ratio: number }[]> = {
  AAPL: [{ iso: "2014-06-09", ratio: 7 }, { iso: "2020-08-31", ratio: 4 }],
  TSLA: [{ iso: "2020-08-31", ratio: 5 }, { iso: "2022-08-25", ratio: 3 }],
  NVDA: [{ iso: "2021-07-20", ratio: 4 }, { iso: "2024-06-10", ratio: 10 }],
  MSFT: [],
};

/** Which file holds each symbol's recording, and the day its prices were adjusted as of. */
const RECORDINGS: Record<string, { file: string; asOf: string }> = {
  AAPL: { file: "chart-AAPL-2020-08-31-to-2020-11-07.bodyJson.json", asOf: "2025-02-05" },
  MSFT: { file: "historical-via-chart-MSFT-dividends-2021-02-01-to-2022-01-31.body.json", asOf: "2025-02-05" },
  NVDA: { file: "historical-via-chart-NVDA-split-2021-02-01-to-2022-01-31.body.json", asOf: "2025-02-05" },
  TSLA: { file: "historical-via-chart-dividends-TSLA-no-dividends.body.json", asOf: "2025-02-05" },
};

const DAY_S = 86_400;
const isoDay = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
const cents4 = (x: number) => Math.round(x * 10_000) / 10_000;

export interface RecordedSeries extends Series {
  /** Index range of real bars within the series. */
  realStart: number;
  realEnd: number;
}

export function recordedSymbols(): string[] {
  return Object.keys(RECORDINGS);
}

function splitsOf(symbol: string): { day: number; ratio: number }[] {
  return (SPLIT_FACTS[symbol] ?? []).map((s) => ({ day: isoDay(s.iso), ratio: s.ratio }));
}

interface YahooBody {
  chart: {
    result: {
      meta: { gmtoffset?: number };
      timestamp?: number[];
      events?: { dividends?: Record<string, { amount: number; date: number }> };
      indicators: {
        quote: {
          open: (number | null)[];
          high: (number | null)[];
          low: (number | null)[];
          close: (number | null)[];
          volume: (number | null)[];
        }[];
      };
    }[];
  };
}

const cache = new Map<
  string,
  {
    days: number[];
    o: number[];
    h: number[];
    l: number[];
    c: number[];
    v: number[];
    divs: { day: number; amount: number }[];
  }
>();

/** The recorded bars of a symbol, as traded. */
function loadRecording(symbol: string) {
  const hit = cache.get(symbol);
  if (hit) return hit;
  const rec = RECORDINGS[symbol];
  const body: YahooBody = JSON.parse(Deno.readTextFileSync(new URL(`./recordings/yahoo/${rec.file}`, import.meta.url)));
  const r = body.chart.result[0];
  const offset = r.meta.gmtoffset ?? -18000;
  const asOf = isoDay(rec.asOf);
  const splits = splitsOf(symbol).filter((s) => s.day <= asOf);
  const factor = (day: number) => splits.reduce((f, s) => (s.day > day ? f * s.ratio : f), 1);
  const out = {
    days: [] as number[],
    o: [] as number[],
    h: [] as number[],
    l: [] as number[],
    c: [] as number[],
    v: [] as number[],
    divs: [] as { day: number; amount: number }[],
  };
  const q = r.indicators.quote[0];
  (r.timestamp ?? []).forEach((t, i) => {
    const day = Math.floor((t + offset) / DAY_S);
    if (q.close[i] == null || q.open[i] == null || q.high[i] == null || q.low[i] == null || !isTradingDay(day)) return;
    if (out.days.length && out.days[out.days.length - 1] >= day) return;
    const f = factor(day);
    out.days.push(day);
    out.o.push(cents4(q.open[i]! * f));
    out.h.push(cents4(q.high[i]! * f));
    out.l.push(cents4(q.low[i]! * f));
    out.c.push(cents4(q.close[i]! * f));
    out.v.push(Math.round((q.volume[i] ?? 0) / f));
  });
  for (const d of Object.values(r.events?.dividends ?? {})) {
    const day = Math.floor((d.date + offset) / DAY_S);
    out.divs.push({ day, amount: Math.round(d.amount * factor(day) * 1e6) / 1e6 });
  }
  cache.set(symbol, out);
  return out;
}

/**
 * A recorded symbol's as-traded series from 2000-01-03 to `toDay`: simulated before the recording
 * (walked backwards from its first open), real inside it, simulated after (walked forward from its
 * last close), with the real splits applied throughout.
 */
export function recordedSeries(symbol: string, { seed, toDay }: { seed: number; toDay: number }): RecordedSeries {
  const rec = loadRecording(symbol);
  // Build through the recording's end even for an earlier toDay, so that a day's bar never
  // depends on the requested range, then cut.
  const full = buildSeries(symbol, seed, Math.max(toDay, rec.days[rec.days.length - 1]), rec);
  const n = full.days.findLastIndex((d) => d <= toDay) + 1;
  return {
    days: full.days.slice(0, n),
    open: full.open.slice(0, n),
    high: full.high.slice(0, n),
    low: full.low.slice(0, n),
    close: full.close.slice(0, n),
    volume: full.volume.slice(0, n),
    dividends: full.dividends.filter((d) => d.day <= toDay),
    splits: full.splits.filter((d) => d.day <= toDay),
    realStart: full.realStart,
    realEnd: Math.min(full.realEnd, n - 1),
  };
}

function buildSeries(
  symbol: string,
  seed: number,
  toDay: number,
  rec: ReturnType<typeof loadRecording>,
): RecordedSeries {
  const p = profile(seed, symbol);
  const splits = splitsOf(symbol).filter((s) => s.day <= toDay);
  const splitOn = new Map(splits.map((s) => [s.day, s.ratio]));
  const first = rec.days[0], last = rec.days[rec.days.length - 1];
  const before: number[] = [], after: number[] = [];
  for (let d = SIM_START_DAY; d < first; d++) if (isTradingDay(d)) before.push(d);
  for (let d = last + 1; d <= toDay; d++) if (isTradingDay(d)) after.push(d);
  const realDays = rec.days.filter((d) => d <= toDay);
  const days = [...before, ...realDays, ...after];
  const n = days.length;
  const s: RecordedSeries = {
    ...emptySeries(days),
    dividends: rec.divs.filter((d) => d.day <= toDay),
    splits,
    realStart: before.length,
    realEnd: before.length + realDays.length - 1,
  };
  // Backwards from the first real open. `close` is day i's as-traded close; the reference for
  // day i's open is the previous close adjusted for a split effective that morning.
  let close = (realDays.length ? rec.o[0] : 50) * (splitOn.get(realDays[0] ?? -1) ?? 1);
  for (let i = before.length - 1; i >= 0; i--) {
    const r = dayDraws(p.hash, days[i]);
    const ref = close / Math.exp(p.drift + p.dailyVol * r.ret);
    shapeBar(s, i, ref, Math.max(0.01, Math.round(close * 100) / 100), r, p);
    close = ref * (splitOn.get(days[i]) ?? 1);
  }
  realDays.forEach((_, k) => {
    const i = before.length + k;
    s.open[i] = rec.o[k];
    s.high[i] = rec.h[k];
    s.low[i] = rec.l[k];
    s.close[i] = rec.c[k];
    s.volume[i] = rec.v[k];
  });
  let prev = realDays.length ? rec.c[realDays.length - 1] : close;
  for (let i = s.realEnd + 1; i < n; i++) {
    prev = prev / (splitOn.get(days[i]) ?? 1);
    const r = dayDraws(p.hash, days[i]);
    const close = Math.max(0.01, Math.round(prev * Math.exp(p.drift + p.dailyVol * r.ret) * 100) / 100);
    shapeBar(s, i, prev, close, r, p);
    prev = close;
  }
  return s;
}

/** Open, high, low and volume around a known close. */
function shapeBar(
  s: Series,
  i: number,
  prevClose: number,
  close: number,
  r: ReturnType<typeof dayDraws>,
  p: ReturnType<typeof profile>,
) {
  const c = (x: number) => Math.max(0.01, Math.round(x * 100) / 100);
  const open = c(prevClose * Math.exp(p.dailyVol * 0.3 * r.gap));
  s.open[i] = open;
  s.close[i] = close;
  s.high[i] = c(Math.max(open, close) * (1 + p.dailyVol * 0.8 * r.up));
  s.low[i] = c(Math.min(open, close) * (1 - p.dailyVol * 0.8 * r.down));
  s.volume[i] = Math.round(p.volumeLevel * Math.exp(0.35 * r.vol));
}
